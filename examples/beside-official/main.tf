# This provider beside the official one in a single configuration: the official
# cloudflare/cloudflare keeps everything it manages (zones, DNS records, ...),
# and this provider, installed under an address of its own, reads the SSO
# connector. Install it with
#
#   bash scripts/install.sh --source terraform.internal/cfsso/cloudflare ~/.terraform.d/plugins
#
# and use the CLI configuration that prints (the mirror for that address only,
# the registry for every other provider). Both providers read their credentials
# from CLOUDFLARE_API_TOKEN.

terraform {
  required_providers {
    # The official provider, from the registry.
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.0"
    }
    # This provider, from the filesystem mirror, under a local name of its own.
    cfsso = {
      source = "terraform.internal/cfsso/cloudflare"
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

provider "cfsso" {}

# Read by this provider: the provider meta-argument picks it by local name.
data "cloudflare_sso_connector" "corp" {
  provider         = cfsso
  account_id       = var.account_id
  sso_connector_id = var.sso_connector_id
}

# Read by the official provider: without a provider argument, a cloudflare_*
# data source uses the provider whose local name is "cloudflare".
data "cloudflare_sso_connectors" "all" {
  account_id = var.account_id
}

output "corp_email_domain" {
  description = "The email domain of the connector, as this provider read it."
  value       = data.cloudflare_sso_connector.corp.email_domain
}

output "corp_verified" {
  description = "True when the connector's email domain is verified, as this provider read it."
  value       = try(data.cloudflare_sso_connector.corp.verification.status, null) == "verified"
}

output "connector_count" {
  description = "How many connectors the account has, as the official provider read them."
  value       = length(data.cloudflare_sso_connectors.all.result)
}
