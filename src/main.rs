//! The `terraform-provider-cloudflare` executable: Terraform launches it as a
//! plugin; `--debug` runs it by hand for Terraform to attach to.

mod provider_address;

use std::process::ExitCode;

use tfcf::cloudflare::{CloudflareProvider, VERSION};

const NAME: &str = "terraform-provider-cloudflare";

/// The source address Terraform knows this provider by unless `--address`
/// says otherwise: the key of its entry in `TF_REATTACH_PROVIDERS` (matches
/// `source = "cloudflare/cloudflare"`).
const DEFAULT_ADDRESS: &str = "registry.terraform.io/cloudflare/cloudflare";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "-version" | "version") => {
            println!("{NAME} {VERSION}");
            ExitCode::SUCCESS
        }
        Some("--help" | "-help" | "-h") => {
            print!("{}", help());
            ExitCode::SUCCESS
        }
        Some(_) if args.iter().any(|a| is_flag(a, "debug")) => match debug_address(&args) {
            Ok(address) => tfcf::plugin::serve_debug(CloudflareProvider, &address),
            Err(message) => usage_error(&message),
        },
        Some(other) if other.starts_with("--address") || other.starts_with("-address") => {
            usage_error("--address goes with --debug")
        }
        Some(other) => usage_error(&format!("unknown argument {other:?}")),
        None => tfcf::plugin::serve(CloudflareProvider, NAME),
    }
}

/// Whether `arg` is the flag `name`, written with one dash or two.
fn is_flag(arg: &str, name: &str) -> bool {
    arg.strip_prefix("--")
        .or_else(|| arg.strip_prefix('-'))
        .is_some_and(|rest| rest == name)
}

/// The address to serve under from `--debug [--address ADDRESS]`, in either order.
fn debug_address(args: &[String]) -> Result<String, String> {
    let mut address = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let value = if is_flag(arg, "debug") {
            continue;
        } else if is_flag(arg, "address") {
            rest.next()
                .cloned()
                .ok_or("--address needs a value, HOST/NAMESPACE/TYPE")?
        } else if let Some(value) = arg
            .strip_prefix("--address=")
            .or_else(|| arg.strip_prefix("-address="))
        {
            value.to_string()
        } else {
            return Err(format!("unknown argument {arg:?} with --debug"));
        };
        if address.is_some() {
            return Err("--address given twice".to_string());
        }
        address = Some(
            provider_address::parse(&value).map_err(|why| format!("invalid --address {why}"))?,
        );
    }
    Ok(address.unwrap_or_else(|| DEFAULT_ADDRESS.to_string()))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("{NAME}: {message}\n\n{}", help());
    ExitCode::from(2)
}

fn help() -> String {
    format!(
        "{NAME} {VERSION}\n\n\
         A Terraform provider plugin (plugin protocols 5 and 6, so Terraform 0.12 and later).\n\
         Terraform starts it; it is not a command to run by hand. Install it with a\n\
         provider_installation block in your Terraform CLI configuration (dev_overrides or\n\
         filesystem_mirror) and run terraform as usual.\n\n\
         Options:\n  \
           --debug     serve without Terraform, for a debugger: prints a TF_REATTACH_PROVIDERS\n              \
                       value to set in the shell where you run terraform, serves plaintext on a\n              \
                       private Unix socket, logs to this terminal's stderr, and stops on Ctrl-C\n  \
           --address HOST/NAMESPACE/TYPE\n              \
                       with --debug: the source address the provider is installed under, which\n              \
                       keys the TF_REATTACH_PROVIDERS value (Terraform matches it against\n              \
                       required_providers); default {DEFAULT_ADDRESS},\n              \
                       beside the official provider e.g. terraform.internal/cfsso/cloudflare\n  \
           --version   print the version and exit\n  \
           --help      print this help and exit\n\n\
         Logging: TF_LOG_PROVIDER_CLOUDFLARE, TF_LOG_PROVIDER or TF_LOG set the level\n\
         (trace, debug, info, warn, error, off); lines go to stderr as JSON, which Terraform\n\
         shows in its own log.\n"
    )
}
