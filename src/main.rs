//! The `terraform-provider-cloudflare` executable: Terraform launches it as a plugin.

use std::process::ExitCode;

use tfcf::cloudflare::{CloudflareProvider, VERSION};

const NAME: &str = "terraform-provider-cloudflare";

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
         A Terraform provider plugin. Terraform starts it; it is not a command to run by hand.\n\
         Install it with a provider_installation block in your Terraform CLI configuration\n\
         (dev_overrides or filesystem_mirror) and run terraform as usual.\n\n\
         Options:\n  \
           --version   print the version and exit\n  \
           --help      print this help and exit\n"
    )
}
