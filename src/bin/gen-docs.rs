//! `gen-docs`: regenerates the `## Schema` sections of the provider's docs
//! (`docs/index.md`, `docs/data-sources/*.md`) from the provider's own schema,
//! keeping the hand-written text around them; creates a page from a template
//! for a data source that has none.
//!
//! ```text
//! cargo run --bin gen-docs            # rewrite the pages that are out of date
//! cargo run --bin gen-docs -- --check # only report them; exit 1 if any
//! ```

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use tfcf::cloudflare::CloudflareProvider;
use tfcf::plugin::docs::{self, DocsPlan};

const USAGE: &str = "usage: gen-docs [--check] [--dir DOCS_DIR]

Regenerates the schema sections of the provider docs from the provider's schema.

  --check        change nothing; list the pages that are out of date and exit 1 if any
  --dir DIR      the docs directory (default: docs/ of this repository)
";

struct Options {
    check: bool,
    dir: PathBuf,
}

/// Reads the arguments as the OS gives them: the directory after `--dir` may
/// be any path, including one that is not valid Unicode; any other argument
/// that is not text is a usage error, never a panic.
fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut options = Options {
        check: false,
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs"),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            let shown: String = arg.to_string_lossy().chars().take(100).collect();
            return Err(format!(
                "argument {shown:?} is not valid UTF-8 text (invalid bytes shown as U+FFFD)"
            ));
        };
        match text {
            "--check" => options.check = true,
            "--dir" => {
                options.dir = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--dir needs a directory")?;
            }
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse(std::env::args_os().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("gen-docs: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("gen-docs: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<ExitCode, String> {
    let plan: DocsPlan =
        docs::plan(&CloudflareProvider, &options.dir).map_err(|e| e.to_string())?;
    for orphan in &plan.orphans {
        eprintln!(
            "gen-docs: {} documents no registered data source; delete it or register the data source",
            orphan.display()
        );
    }
    let stale: Vec<_> = plan.stale().collect();
    if options.check {
        for file in &stale {
            let what = if file.current.is_none() {
                "missing"
            } else {
                "out of date"
            };
            eprintln!("gen-docs: {} is {what}", file.path.display());
        }
        if stale.is_empty() && plan.orphans.is_empty() {
            println!("gen-docs: {} pages up to date", plan.files.len());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("gen-docs: run `cargo run --bin gen-docs` and commit the result");
        return Ok(ExitCode::FAILURE);
    }
    for file in &stale {
        if let Some(parent) = file.path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("create {}: {e}", parent.display()))?;
        }
        std::fs::write(&file.path, &file.wanted)
            .map_err(|e| format!("write {}: {e}", file.path.display()))?;
        let what = if file.current.is_none() {
            "created from the template; write its example and description"
        } else {
            "updated"
        };
        println!("gen-docs: {} {what}", file.path.display());
    }
    println!(
        "gen-docs: {} pages, {} changed",
        plan.files.len(),
        stale.len()
    );
    Ok(if plan.orphans.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::ffi::OsStringExt;

    use super::*;

    #[test]
    fn a_non_utf8_directory_is_a_path_and_any_other_such_argument_an_error() {
        let dir = OsString::from_vec(b"/tmp/docs-\xff".to_vec());
        let options = parse([OsString::from("--dir"), dir.clone()])
            .expect("parsed")
            .expect("options");
        assert_eq!(options.dir.as_os_str(), dir.as_os_str());
        let err = parse([OsString::from_vec(b"--ch\xffeck".to_vec())]).err();
        let err = err.expect("not UTF-8");
        assert!(err.contains("not valid UTF-8"), "{err}");
    }
}
