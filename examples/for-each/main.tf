# Reads many SSO connectors, one data source instance per entry of a map.
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
  description = "The Cloudflare account that owns the connectors (32 characters)."
  type        = string
}

variable "connectors" {
  description = "The connectors to read: a label of your choice => the connector id (32 characters)."
  type        = map(string)

  validation {
    condition     = length(var.connectors) > 0
    error_message = "Give at least one connector, e.g. -var 'connectors={corp = \"<connector id>\"}'."
  }
}

provider "cloudflare" {}

data "cloudflare_sso_connector" "each" {
  for_each = var.connectors

  account_id       = var.account_id
  sso_connector_id = each.value
}

output "connectors" {
  description = "Label => the connector's email domain, whether it is enabled, and its verification status."
  value = {
    for label, c in data.cloudflare_sso_connector.each : label => {
      email_domain = c.email_domain
      enabled      = c.enabled
      status       = try(c.verification.status, null)
    }
  }
}

output "unhealthy" {
  description = "Labels of connectors that are disabled or whose domain is not verified."
  value = sort([
    for label, c in data.cloudflare_sso_connector.each : label
    if !(c.enabled == true && try(c.verification.status, null) == "verified")
  ])
}
