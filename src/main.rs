//! The `terraform-provider-cloudflare` executable: Terraform launches it as a
//! plugin; `--debug` runs it by hand for Terraform to attach to; `--manifest`
//! and `--check-address` answer the release and install scripts, which ask
//! the binary rather than keep copies of what it decides.

mod provider_address;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use tfcf::cloudflare::{CloudflareProvider, VERSION};

const NAME: &str = "terraform-provider-cloudflare";

/// The source address Terraform knows this provider by unless `--address`
/// says otherwise: the key of its entry in `TF_REATTACH_PROVIDERS` (matches
/// `source = "cloudflare/cloudflare"`).
const DEFAULT_ADDRESS: &str = "registry.terraform.io/cloudflare/cloudflare";

fn main() -> ExitCode {
    let args = match text_arguments(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) => return usage_error(&message),
    };
    match args.first().map(String::as_str) {
        Some("--version" | "-version" | "version") => {
            println!("{NAME} {VERSION}");
            ExitCode::SUCCESS
        }
        Some("--help" | "-help" | "-h") => {
            print!("{}", help());
            ExitCode::SUCCESS
        }
        Some(first) if is_flag(first, "manifest") => match args.len() {
            1 => answer(&tfcf::plugin::registry_manifest()),
            _ => usage_error("--manifest takes no other arguments"),
        },
        Some(first)
            if is_flag(first, "check-address") || flag_value(first, "check-address").is_some() =>
        {
            match address_to_check(&args) {
                Ok(address) => check_address(address),
                Err(message) => usage_error(&message),
            }
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

/// The arguments as text. Every argument this binary takes is text (flags and
/// a provider address), so one that is not valid Unicode is a usage error,
/// quoted with its invalid bytes replaced, rather than a panic.
fn text_arguments(args: impl IntoIterator<Item = OsString>) -> Result<Vec<String>, String> {
    args.into_iter()
        .map(|arg| {
            arg.into_string().map_err(|raw| {
                let shown: String = raw.to_string_lossy().chars().take(100).collect();
                format!(
                    "argument {shown:?} is not valid UTF-8 text (invalid bytes shown as U+FFFD); \
                     every argument of this command is text"
                )
            })
        })
        .collect()
}

/// Whether `arg` is the flag `name`, written with one dash or two.
fn is_flag(arg: &str, name: &str) -> bool {
    arg.strip_prefix("--")
        .or_else(|| arg.strip_prefix('-'))
        .is_some_and(|rest| rest == name)
}

/// The value of `arg` when it is `--name=VALUE` (or `-name=VALUE`).
fn flag_value<'a>(arg: &'a str, name: &str) -> Option<&'a str> {
    arg.strip_prefix("--")
        .or_else(|| arg.strip_prefix('-'))
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix('='))
}

/// Writes a query flag's answer to stdout; a closed or full stdout is a
/// failure (exit status 1), not a panic.
fn answer(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{NAME}: cannot write to stdout: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The address of `--check-address ADDRESS` (or `--check-address=ADDRESS`),
/// which must be the only arguments.
fn address_to_check(args: &[String]) -> Result<&str, String> {
    match args {
        [flag, address] if is_flag(flag, "check-address") => Ok(address),
        [flag] if is_flag(flag, "check-address") => {
            Err("--check-address needs a value, HOST/NAMESPACE/TYPE".to_string())
        }
        [arg] => {
            flag_value(arg, "check-address").ok_or_else(|| format!("unknown argument {arg:?}"))
        }
        _ => Err("--check-address takes one address and no other arguments".to_string()),
    }
}

/// `--check-address`: the address in the canonical form Terraform uses on
/// stdout, or the reason it is not one on stderr with exit status 2. The
/// scripts check `--source` and `--address` with it, so the rules live in
/// one place, `provider_address`.
fn check_address(address: &str) -> ExitCode {
    match provider_address::parse(address) {
        Ok(canonical) => answer(&format!("{canonical}\n")),
        Err(why) => {
            eprintln!("{why}");
            ExitCode::from(2)
        }
    }
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
        } else if let Some(value) = flag_value(arg, "address") {
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
           --manifest  print the registry manifest (_manifest.json) naming the plugin\n              \
                       protocols served, and exit\n  \
           --check-address HOST/NAMESPACE/TYPE\n              \
                       print the address if Terraform accepts it in that form, or the\n              \
                       reason on stderr and exit status 2\n  \
           --version   print the version and exit\n  \
           --help      print this help and exit\n\n\
         Logging: TF_LOG_PROVIDER_CLOUDFLARE, TF_LOG_PROVIDER or TF_LOG set the level\n\
         (trace, debug, info, warn, error, off); lines go to stderr as JSON, which Terraform\n\
         shows in its own log.\n"
    )
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::ffi::OsStringExt;

    use super::*;

    #[test]
    fn a_non_utf8_argument_is_a_usage_error_naming_it() {
        let args = vec![
            OsString::from("--debug"),
            OsString::from_vec(b"--address=\xff\xfe".to_vec()),
        ];
        let err = text_arguments(args).expect_err("not UTF-8");
        assert!(err.contains("not valid UTF-8"), "{err}");
        assert!(err.contains("--address=\u{fffd}\u{fffd}"), "{err}");
        let ok = text_arguments(vec![OsString::from("--version")]).expect("text");
        assert_eq!(ok, ["--version"]);
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn check_address_takes_exactly_one_address() {
        for args in [
            &["--check-address", "a.b/c/d"][..],
            &["-check-address", "a.b/c/d"],
            &["--check-address=a.b/c/d"],
        ] {
            assert_eq!(address_to_check(&strings(args)).as_deref(), Ok("a.b/c/d"));
        }
        assert_eq!(
            address_to_check(&strings(&["--check-address="])).as_deref(),
            Ok("")
        );
        for (args, why) in [
            (&["--check-address"][..], "needs a value"),
            (&["--check-address", "a/b/c", "x"], "no other arguments"),
            (&["--check-address=a/b/c", "x"], "no other arguments"),
        ] {
            let error = address_to_check(&strings(args)).expect_err("refused");
            assert!(error.contains(why), "{args:?}: {error}");
        }
    }

    #[test]
    fn flag_values_need_the_whole_name_and_an_equals_sign() {
        assert_eq!(flag_value("--address=x/y/z", "address"), Some("x/y/z"));
        assert_eq!(flag_value("-address=", "address"), Some(""));
        assert_eq!(flag_value("--addresses=x", "address"), None);
        assert_eq!(flag_value("--address", "address"), None);
        assert_eq!(flag_value("address=x", "address"), None);
    }
}
