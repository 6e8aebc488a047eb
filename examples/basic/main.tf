# Reads one SSO connector and shows its state.
#
# Credentials come from CLOUDFLARE_API_TOKEN (a token with "SSO Connector Read");
# CLOUDFLARE_BASE_URL may point the provider at another API endpoint.

terraform {
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
  description = "The SSO connector to read (32 characters)."
  type        = string
}

provider "cloudflare" {}

data "cloudflare_sso_connector" "this" {
  account_id       = var.account_id
  sso_connector_id = var.sso_connector_id
}

output "connector" {
  description = "Every attribute of the connector."
  value       = data.cloudflare_sso_connector.this
}

output "email_domain" {
  description = "The email domain whose users the connector signs in."
  value       = data.cloudflare_sso_connector.this.email_domain
}

output "verified" {
  description = "True when the email domain's DNS verification succeeded."
  value       = try(data.cloudflare_sso_connector.this.verification.status, null) == "verified"
}
