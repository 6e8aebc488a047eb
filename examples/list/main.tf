# Lists every SSO connector of an account and summarises them.
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
  description = "The Cloudflare account whose connectors to list (32 characters)."
  type        = string
}

variable "max_items" {
  description = "The most connectors to read; null or 0 means up to 1000."
  type        = number
  default     = null
}

provider "cloudflare" {}

data "cloudflare_sso_connectors" "all" {
  account_id = var.account_id
  max_items  = var.max_items
}

locals {
  connectors = data.cloudflare_sso_connectors.all.result
}

output "count" {
  description = "How many connectors were read."
  value       = length(local.connectors)
}

output "email_domains" {
  description = "Connector id => email domain."
  value       = { for c in local.connectors : c.id => c.email_domain }
}

output "not_ready" {
  description = "Ids of connectors that are disabled or whose domain is not verified: these cannot sign anyone in."
  value = [
    for c in local.connectors : c.id
    if !(c.enabled == true && try(c.verification.status, null) == "verified")
  ]
}
