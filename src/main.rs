//! The `terraform-provider-cloudflare` executable: Terraform launches it as a
//! plugin; `--debug` runs it by hand for Terraform to attach to.

use std::process::ExitCode;

use tfcf::cloudflare::{CloudflareProvider, VERSION};

const NAME: &str = "terraform-provider-cloudflare";

/// The source address Terraform knows this provider by, the key of its entry
/// in `TF_REATTACH_PROVIDERS` (must match `source = "cloudflare/cloudflare"`).
const PROVIDER_ADDRESS: &str = "registry.terraform.io/cloudflare/cloudflare";

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
        Some("--debug" | "-debug") if args.len() == 1 => {
            tfcf::plugin::server::serve_debug(CloudflareProvider, PROVIDER_ADDRESS)
        }
        Some(other) => {
            eprintln!("{NAME}: unknown argument {other:?}\n\n{}", help());
            ExitCode::from(2)
        }
        None => tfcf::plugin::server::serve(CloudflareProvider, NAME),
    }
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
           --version   print the version and exit\n  \
           --help      print this help and exit\n\n\
         Logging: TF_LOG_PROVIDER_CLOUDFLARE, TF_LOG_PROVIDER or TF_LOG set the level\n\
         (trace, debug, info, warn, error, off); lines go to stderr as JSON, which Terraform\n\
         shows in its own log.\n"
    )
}
