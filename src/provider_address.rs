//! The provider source address given to `--debug --address`: Terraform matches
//! a reattached provider by the address in `TF_REATTACH_PROVIDERS`, so it must
//! be the one the configuration's `required_providers` names, in the canonical
//! form Terraform uses. `--check-address` applies the same rules for the
//! scripts (`scripts/install.sh --source`, `scripts/release.sh --address`),
//! which ask the binary rather than keep a copy of them.

/// Checks `address` and returns it, or says what is wrong and how to write it.
pub(crate) fn parse(address: &str) -> Result<String, String> {
    let parts: Vec<&str> = address.split('/').collect();
    let [host, namespace, type_name] = parts.as_slice() else {
        let mut message = format!(
            "{address:?} has {} part(s); write HOST/NAMESPACE/TYPE, three parts separated by slashes, e.g. terraform.internal/cfsso/cloudflare",
            parts.len()
        );
        if parts.len() == 2 {
            message.push_str(&format!(
                " (for the public registry: registry.terraform.io/{address})"
            ));
        }
        return Err(message);
    };
    if address.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "{address:?} has upper-case letters; Terraform uses addresses in lower case: write {:?}",
            address.to_ascii_lowercase()
        ));
    }
    check_host(host).map_err(|why| format!("{address:?}: the host {host:?} {why}"))?;
    for (what, name) in [("namespace", namespace), ("type", type_name)] {
        if !is_name(name) {
            return Err(format!(
                "{address:?}: the {what} {name:?} must contain only letters, digits and single dashes, and start and end with a letter or digit"
            ));
        }
    }
    if let Some(rest) = type_name.strip_prefix("terraform-provider-") {
        return Err(format!(
            "{address:?}: the type must not start with \"terraform-provider-\": write \"{host}/{namespace}/{rest}\""
        ));
    }
    if *host == "terraform.io" && *namespace == "builtin" {
        return Err(format!(
            "{address:?}: terraform.io/builtin/ is reserved for Terraform's built-in providers"
        ));
    }
    Ok(address.to_string())
}

/// A namespace or type: lower-case letters and digits in runs joined by single dashes.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A hostname of dot-separated labels, with an optional port.
fn check_host(host: &str) -> Result<(), &'static str> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) => {
            match port.parse::<u16>() {
                Ok(number) if number > 0 && !port.starts_with('0') => {}
                _ => return Err("has a port that is not a number from 1 to 65535"),
            }
            name
        }
        None => host,
    };
    let valid_label = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if name.split('.').all(valid_label) {
        Ok(())
    } else {
        Err("is not a valid hostname (letters, digits and dashes in dot-separated labels, none starting or ending with a dash)")
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_canonical_addresses() {
        for address in [
            "registry.terraform.io/cloudflare/cloudflare",
            "terraform.internal/cfsso/cloudflare",
            "example.com:8443/acme-corp/cloud-flare",
            "localhost/a1/b2",
        ] {
            assert_eq!(parse(address).as_deref(), Ok(address));
        }
    }

    #[test]
    fn refuses_what_terraform_would_refuse_or_fold() {
        for (address, why) in [
            (
                "cloudflare/cloudflare",
                "registry.terraform.io/cloudflare/cloudflare",
            ),
            ("a/b/c/d", "4 part(s)"),
            ("", "1 part(s)"),
            ("registry.terraform.io/Cloudflare/cloudflare", "upper-case"),
            ("example.com/ac_me/x", "namespace \"ac_me\""),
            ("example.com/acme/-x", "type \"-x\""),
            ("example.com/a--b/x", "namespace \"a--b\""),
            ("example.com//x", "namespace \"\""),
            ("-example.com/a/b", "not a valid hostname"),
            ("example..com/a/b", "not a valid hostname"),
            ("example.com:0/a/b", "port"),
            ("example.com:70000/a/b", "port"),
            (
                "example.com/a/terraform-provider-b",
                "write \"example.com/a/b\"",
            ),
            ("terraform.io/builtin/terraform", "reserved"),
        ] {
            let error = parse(address).expect_err(address);
            assert!(error.contains(why), "{address}: {error}");
        }
    }
}
