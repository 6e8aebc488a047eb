//! The committed docs under `docs/` match what the provider's own schema
//! generates (`cargo run --bin gen-docs`), cover every data source, setting and
//! environment variable, and link only to things that exist.

use std::collections::BTreeSet;
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::mirror::{OFFICIAL_ADDRESS, RECOMMENDED_ADDRESS};
use tfcf::cloudflare::CloudflareProvider;
use tfcf::plugin::docs::{self, PageKind, SCHEMA_BEGIN, SCHEMA_END};
use tfcf::plugin::Provider;

type TestResult = Result<(), Box<dyn Error>>;

/// The command that brings the docs up to date.
const REGENERATE: &str = "cargo run --bin gen-docs";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn docs_dir() -> PathBuf {
    repo().join("docs")
}

/// Where two texts first differ, as a line number and both lines.
fn first_difference(current: &str, wanted: &str) -> String {
    let mut current_lines = current.lines();
    let mut wanted_lines = wanted.lines();
    let mut number = 1;
    loop {
        match (current_lines.next(), wanted_lines.next()) {
            (Some(a), Some(b)) if a == b => number += 1,
            (None, None) => return "they differ only in line endings".to_string(),
            (a, b) => {
                return format!(
                    "line {number}:\n    committed: {}\n    generated: {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                )
            }
        }
    }
}

#[test]
fn committed_docs_match_what_the_schema_generates() -> TestResult {
    let plan = docs::plan(&CloudflareProvider, &docs_dir())?;
    let mut problems = Vec::new();
    for file in plan.stale() {
        match &file.current {
            None => problems.push(format!("{} is missing", file.path.display())),
            Some(current) => problems.push(format!(
                "{} is out of date with the schema, first at {}",
                file.path.display(),
                first_difference(current, &file.wanted)
            )),
        }
    }
    for orphan in &plan.orphans {
        problems.push(format!(
            "{} documents no registered data source",
            orphan.display()
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\n\nRun `{REGENERATE}` and commit the result (it rewrites only the sections between the `{SCHEMA_BEGIN}` markers and creates missing pages from a template).",
        problems.join("\n")
    );
    Ok(())
}

#[test]
fn every_data_source_has_a_page_with_a_title_and_an_example() -> TestResult {
    let pages = docs::pages(&CloudflareProvider);
    let data_sources = CloudflareProvider.data_sources().into_entries().len();
    assert_eq!(
        pages
            .iter()
            .filter(|p| p.kind == PageKind::DataSource)
            .count(),
        data_sources
    );
    for page in pages {
        let path = docs_dir().join(&page.path);
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (heading, usage) = match page.kind {
            PageKind::Provider => (
                "# Cloudflare Provider\n".to_string(),
                format!("provider \"{}\"", page.name),
            ),
            PageKind::DataSource => (
                format!("# {} (Data Source)\n", page.name),
                format!("data \"{}\"", page.name),
            ),
        };
        assert!(
            text.starts_with("---\npage_title: "),
            "{}: front matter",
            path.display()
        );
        assert!(
            text.contains(&heading),
            "{}: no {heading:?}",
            path.display()
        );
        let example = text
            .split("## Example Usage")
            .nth(1)
            .ok_or_else(|| format!("{}: no \"## Example Usage\" section", path.display()))?;
        assert!(
            example.contains("```terraform") && example.contains(&usage),
            "{}: the example usage should show {usage}",
            path.display()
        );
        assert!(
            !text.contains("= \"example\""),
            "{}: still has the template's placeholder example",
            path.display()
        );
    }
    Ok(())
}

/// The hand-written part of a page: everything outside the generated section.
fn hand_written(text: &str) -> String {
    match (text.find(SCHEMA_BEGIN), text.find(SCHEMA_END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{}", &text[..begin], &text[end + SCHEMA_END.len()..])
        }
        _ => text.to_string(),
    }
}

#[test]
fn provider_page_explains_every_setting_variable_permission_and_version() -> TestResult {
    let index = hand_written(&fs::read_to_string(docs_dir().join("index.md"))?);
    let schema = CloudflareProvider.schema();
    let mut variables = BTreeSet::new();
    for attribute in &schema.block.attributes {
        assert!(
            index.contains(&format!("`{}`", attribute.name)),
            "docs/index.md does not mention provider argument `{}` outside the generated schema",
            attribute.name
        );
        for word in attribute
            .description
            .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        {
            if word.starts_with("CLOUDFLARE_") {
                variables.insert(word.to_string());
            }
        }
    }
    assert!(
        variables.len() >= schema.block.attributes.len(),
        "every provider argument should name its environment variable: {variables:?}"
    );
    for variable in &variables {
        assert!(
            index.contains(&format!("| `{variable}` |")),
            "docs/index.md's environment variable table lacks {variable}"
        );
    }
    for needle in [
        "SSO Connector Read",
        "API tokens only",
        "Configuration wins over the environment",
        "Conflicting credentials",
        "(protocols.md)",
        "scripts/install.sh",
        "## Using it beside the official provider",
        "### Switching a data source between the two",
        RECOMMENDED_ADDRESS,
        "scripts/release.sh",
        "--zip",
        "terraform providers lock -fs-mirror",
    ] {
        assert!(
            index.contains(needle),
            "docs/index.md should mention {needle:?}"
        );
    }
    Ok(())
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors a Markdown file defines: its headings and its `<a id="…">` tags.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
        if let Some(rest) = line.strip_prefix("<a id=\"") {
            if let Some((id, _)) = rest.split_once('"') {
                out.insert(id.to_string());
            }
        }
    }
    out
}

/// The targets of the inline links `[text](target)` of a Markdown file.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        match after.find(')') {
            Some(end) => {
                targets.push(after[..end].to_string());
                rest = &after[end..];
            }
            None => break,
        }
    }
    targets
}

fn markdown_files() -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut files = vec![
        repo().join("README.md"),
        repo().join("CHANGELOG.md"),
        docs_dir().join("index.md"),
    ];
    for dir in [docs_dir().join("data-sources"), repo().join("examples")] {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                files.push(path.join("README.md"));
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    Ok(files)
}

#[test]
fn relative_links_in_docs_and_examples_point_at_existing_files_and_headings() -> TestResult {
    let mut broken = Vec::new();
    for file in markdown_files()? {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let dir = file.parent().unwrap_or(Path::new("."));
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                dir.join(path)
            };
            if !resolved.exists() {
                broken.push(format!("{}: {target} (no such file)", file.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                let defined = fs::read_to_string(&resolved)
                    .map(|t| anchors(&t))
                    .unwrap_or_default();
                if !defined.contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    Ok(())
}

fn gen_docs(args: &[&str]) -> Result<(bool, String), Box<dyn Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_gen-docs"))
        .args(args)
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), text))
}

#[test]
fn gen_docs_check_passes_on_the_repository() -> TestResult {
    let (ok, text) = gen_docs(&["--check"])?;
    assert!(ok, "gen-docs --check failed:\n{text}\nRun `{REGENERATE}`.");
    Ok(())
}

#[test]
fn gen_docs_creates_missing_pages_keeps_hand_written_text_and_reports_orphans() -> TestResult {
    let dir = tempfile::tempdir()?;
    let docs = dir.path().to_str().ok_or("temp dir path is not UTF-8")?;

    let (ok, text) = gen_docs(&["--dir", docs])?;
    assert!(ok, "{text}");
    let pages = docs::pages(&CloudflareProvider);
    for page in &pages {
        assert!(
            dir.path().join(&page.path).is_file(),
            "{} not created\n{text}",
            page.path.display()
        );
    }
    let (ok, text) = gen_docs(&["--check", "--dir", docs])?;
    assert!(ok, "freshly generated docs should pass --check:\n{text}");

    let page = dir.path().join("data-sources/sso_connector.md");
    let original = fs::read_to_string(&page)?;
    let edited = original
        .replace("## Example Usage", "Hand-written note.\n\n## Example Usage")
        .replace("- `account_id` (String)", "- `account_id` (Number)");
    fs::write(&page, &edited)?;
    let (ok, text) = gen_docs(&["--check", "--dir", docs])?;
    assert!(
        !ok && text.contains("sso_connector.md is out of date"),
        "{text}"
    );
    assert!(text.contains(REGENERATE), "{text}");
    let (ok, text) = gen_docs(&["--dir", docs])?;
    assert!(ok, "{text}");
    let regenerated = fs::read_to_string(&page)?;
    assert!(regenerated.contains("Hand-written note."));
    assert!(regenerated.contains("- `account_id` (String)"));

    fs::write(dir.path().join("data-sources/gone.md"), "# gone\n")?;
    let (ok, text) = gen_docs(&["--check", "--dir", docs])?;
    assert!(
        !ok && text.contains("gone.md documents no registered data source"),
        "{text}"
    );
    fs::remove_file(dir.path().join("data-sources/gone.md"))?;

    fs::write(&page, original.replace(SCHEMA_END, ""))?;
    let (ok, text) = gen_docs(&["--dir", docs])?;
    assert!(!ok && text.contains("end marker is missing"), "{text}");
    Ok(())
}

/// The provider addresses a text names: `source = "…"` values and the
/// arguments of `--source` and `--address`.
fn named_addresses(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("source") {
            rest = &rest[at + "source".len()..];
            let value = rest.trim_start();
            if let Some(value) = value.strip_prefix('=') {
                if let Some(quoted) = value.trim_start().strip_prefix('"') {
                    found.extend(quoted.split('"').next().map(str::to_string));
                }
            }
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if pair[0].trim_start_matches('`') == "--source"
                || pair[0].trim_start_matches('`') == "--address"
            {
                let value = pair[1]
                    .trim_end_matches("\\n")
                    .trim_matches(|c: char| "`\"',.()".contains(c));
                if !value.contains(['{', '<']) {
                    found.push(value.to_string());
                }
            }
        }
    }
    found
}

#[test]
fn docs_and_examples_name_the_official_or_the_recommended_address_only() -> TestResult {
    let mut files = markdown_files()?;
    files.push(docs_dir().join("protocols.md"));
    files.push(repo().join("src/main.rs"));
    for entry in fs::read_dir(repo().join("examples"))? {
        files.push(entry?.path().join("main.tf"));
    }
    let allowed = [
        "cloudflare/cloudflare",
        OFFICIAL_ADDRESS,
        RECOMMENDED_ADDRESS,
        "HOST/NAMESPACE/TYPE",
    ];
    let mut named = 0;
    let mut strays = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        for address in named_addresses(&text) {
            named += 1;
            if !allowed.contains(&address.as_str()) {
                strays.push(format!("{}: {address}", file.display()));
            }
        }
    }
    assert!(
        strays.is_empty(),
        "use {RECOMMENDED_ADDRESS} beside the official provider:\n{}",
        strays.join("\n")
    );
    assert!(named >= 10, "only {named} addresses found");
    let scripts = fs::read_to_string(repo().join("scripts/provider.sh"))?;
    assert!(
        scripts.contains(&format!("RECOMMENDED_SOURCE={RECOMMENDED_ADDRESS}\n"))
            && scripts.contains(&format!("DEFAULT_SOURCE={OFFICIAL_ADDRESS}\n")),
        "scripts/provider.sh and the tests disagree on the addresses"
    );
    Ok(())
}
