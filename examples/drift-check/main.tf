# Plan-time drift checks for one SSO connector.
#
# Every `terraform plan` reads the connector and asserts that it is enabled and
# that its email domain's DNS verification is "verified". Two mechanisms, with
# different severities:
#
# - the `check` block reports a failed assertion as a WARNING: the plan still
#   succeeds, so a scheduled job sees the problem but does not stop;
# - the `postcondition`s on the data source report it as an ERROR: the plan
#   fails (exit code 1), so CI stops. Set `-var strict=false` to turn them off
#   and keep only the warnings.
#
# Credentials come from CLOUDFLARE_API_TOKEN (a token with "SSO Connector Read").

terraform {
  required_version = ">= 1.5.0" # check blocks

  required_providers {
    cloudflare = {
      source = "cloudflare/cloudflare"
    }
  }
}

variable "account_id" {
  description = "The Cloudflare account that owns the connector (32 characters)."
  type        = string
}

variable "sso_connector_id" {
  description = "The SSO connector to watch (32 characters)."
  type        = string
}

variable "strict" {
  description = "When true, drift fails the plan (postconditions); when false, it is only reported as a warning (check block)."
  type        = bool
  default     = true
}

provider "cloudflare" {}

data "cloudflare_sso_connector" "watched" {
  account_id       = var.account_id
  sso_connector_id = var.sso_connector_id

  lifecycle {
    postcondition {
      condition     = !var.strict || self.enabled == true
      error_message = "SSO connector ${var.sso_connector_id} (${coalesce(self.email_domain, "no email domain")}) is not enabled: users of that domain cannot sign in with SSO."
    }
    postcondition {
      condition     = !var.strict || try(self.verification.status, null) == "verified"
      error_message = "SSO connector ${var.sso_connector_id} has verification status \"${coalesce(try(self.verification.status, null), "unknown")}\", not \"verified\"."
    }
  }
}

check "sso_connector_healthy" {
  assert {
    condition     = data.cloudflare_sso_connector.watched.enabled == true
    error_message = "SSO connector ${var.sso_connector_id} is not enabled."
  }

  assert {
    condition     = try(data.cloudflare_sso_connector.watched.verification.status, null) == "verified"
    error_message = "SSO connector ${var.sso_connector_id} has verification status \"${coalesce(try(data.cloudflare_sso_connector.watched.verification.status, null), "unknown")}\", not \"verified\"."
  }
}
