//! Command-line parsing: port, seed data, generated connectors, accepted or
//! denied tokens, and the request budget.

use std::path::PathBuf;

use crate::budget::BudgetConfig;

/// The token accepted when no `--token` is given.
pub const DEFAULT_TOKEN: &str = "test-token-0123456789abcdefghijklmnopqrstuv";

/// The largest `COUNT` accepted by one `--generate`.
pub const MAX_GENERATED: u64 = 1_000_000;

/// Help text printed by `--help`.
pub const USAGE: &str = "\
usage: fake-cloudflare-api [--port N] [--data FILE.json] [--token TOKEN]...
                           [--deny-token TOKEN]... [--generate ACCOUNT_ID:COUNT]... [--quiet]
                           [--quota N] [--window SECONDS] [--spent N] [--block SECONDS]
                           [--no-ratelimit-headers]

Serves a fake Cloudflare API on 127.0.0.1 and prints
FAKE_CLOUDFLARE_API_URL=http://127.0.0.1:<port>/client/v4 once listening.

  --port N                   port to bind (default 0: any free port)
  --data FILE                replace the seed data with FILE ({\"accounts\": {id: [connector, ...]}})
  --token TOKEN              accept this bearer token (repeatable; default: the test token)
  --deny-token TOKEN         answer 403 (code 9109) for this bearer token (repeatable)
  --generate ACCOUNT:COUNT   append COUNT deterministic connectors to ACCOUNT (repeatable)
  --quiet                    do not log requests to stderr

The request budget (Cloudflare's 1200 requests per 300 s per user):
  --quota N                  requests per window (default 1200)
  --window SECONDS           window length; windows start when the server starts (default 300)
  --spent N                  requests of the first window already spent by other clients (default 0)
  --block SECONDS            how long everything gets 429 after the quota is exceeded (default 300)
  --no-ratelimit-headers     leave Ratelimit and Ratelimit-Policy off every answer
";

/// Parsed command-line options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// Port to bind on 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// JSON file replacing the default seed data.
    pub data: Option<PathBuf>,
    /// Accepted bearer tokens; empty means [`DEFAULT_TOKEN`] only.
    pub tokens: Vec<String>,
    /// Bearer tokens answered with 403.
    pub deny_tokens: Vec<String>,
    /// `(account, count)` pairs of connectors to generate, in order.
    pub generate: Vec<(String, u64)>,
    /// Whether per-request logging to stderr is off.
    pub quiet: bool,
    /// The request budget.
    pub budget: BudgetConfig,
}

impl Options {
    /// The accepted tokens, falling back to [`DEFAULT_TOKEN`].
    pub fn accepted_tokens(&self) -> Vec<String> {
        if self.tokens.is_empty() {
            vec![DEFAULT_TOKEN.to_string()]
        } else {
            self.tokens.clone()
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the server with these options.
    Run(Options),
    /// Print [`USAGE`] and exit.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quiet" => options.quiet = true,
            "--port" => {
                let raw = value("--port")?;
                options.port = raw
                    .parse()
                    .map_err(|_| format!("--port: {raw:?} is not a port number (0-65535)"))?;
            }
            "--data" => options.data = Some(PathBuf::from(value("--data")?)),
            "--token" => options
                .tokens
                .push(non_empty("--token", value("--token")?)?),
            "--deny-token" => options
                .deny_tokens
                .push(non_empty("--deny-token", value("--deny-token")?)?),
            "--generate" => options
                .generate
                .push(parse_generate(&value("--generate")?)?),
            "--quota" => options.budget.quota = number("--quota", &value("--quota")?)?,
            "--window" => options.budget.window_s = number("--window", &value("--window")?)?,
            "--spent" => options.budget.spent = number("--spent", &value("--spent")?)?,
            "--block" => options.budget.block_s = number("--block", &value("--block")?)?,
            "--no-ratelimit-headers" => options.budget.headers = false,
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    options.budget.validate()?;
    Ok(Command::Run(options))
}

fn number(name: &str, raw: &str) -> Result<u64, String> {
    raw.parse()
        .map_err(|_| format!("{name}: {raw:?} is not a whole number"))
}

fn non_empty(name: &str, value: String) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(format!("{name} needs a non-empty value"))
    } else {
        Ok(value)
    }
}

/// Parses `ACCOUNT_ID:COUNT`.
fn parse_generate(raw: &str) -> Result<(String, u64), String> {
    let (account, count) = raw
        .rsplit_once(':')
        .ok_or_else(|| format!("--generate: {raw:?} is not ACCOUNT_ID:COUNT"))?;
    if account.is_empty() {
        return Err(format!("--generate: {raw:?} has an empty account id"));
    }
    let count: u64 = count
        .parse()
        .map_err(|_| format!("--generate: {count:?} is not a count"))?;
    if count > MAX_GENERATED {
        return Err(format!(
            "--generate: at most {MAX_GENERATED} connectors per flag"
        ));
    }
    Ok((account.to_string(), count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(o) => Ok(o),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults() {
        let o = run(&[]).unwrap();
        assert_eq!(o.port, 0);
        assert_eq!(o.accepted_tokens(), vec![DEFAULT_TOKEN.to_string()]);
        assert!(o.data.is_none() && o.generate.is_empty() && !o.quiet);
    }

    #[test]
    fn flags_with_separate_and_inline_values() {
        let o = run(&[
            "--port",
            "8080",
            "--token=a",
            "--token",
            "b",
            "--deny-token",
            "c",
            "--generate",
            "acc:10",
            "--data=x.json",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(o.port, 8080);
        assert_eq!(o.accepted_tokens(), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(o.deny_tokens, vec!["c".to_string()]);
        assert_eq!(o.generate, vec![("acc".to_string(), 10)]);
        assert_eq!(o.data, Some(PathBuf::from("x.json")));
        assert!(o.quiet);
        let b = run(&[
            "--quota",
            "100",
            "--window=15",
            "--spent",
            "70",
            "--block",
            "60",
            "--no-ratelimit-headers",
        ])
        .unwrap()
        .budget;
        assert_eq!(
            b,
            BudgetConfig {
                quota: 100,
                window_s: 15,
                spent: 70,
                block_s: 60,
                headers: false
            }
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(run(&["--port", "70000"]).is_err());
        assert!(run(&["--port"]).is_err());
        assert!(run(&["--generate", "acc"]).is_err());
        assert!(run(&["--generate", ":3"]).is_err());
        assert!(run(&["--generate", "a:-1"]).is_err());
        assert!(run(&["--token", ""]).is_err());
        assert!(run(&["--bogus"]).is_err());
        assert_eq!(run(&["--help"]), Err("help".to_string()));
        assert!(run(&["--window", "0"]).is_err());
        assert!(run(&["--quota", "-1"]).is_err());
        assert!(run(&["--block", "soon"]).is_err());
    }
}
