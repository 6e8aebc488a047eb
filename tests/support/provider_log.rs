//! Reads the provider's lines back out of a Terraform log (`TF_LOG_PATH`),
//! where Terraform re-renders each JSON line as `key=value` pairs.

/// The value of `key=` in a rendered log line (values end at a space).
pub(crate) fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!(" {key}=");
    let start = line.find(&needle)? + needle.len();
    let rest = &line[start..];
    Some(rest.split(' ').next().unwrap_or(rest))
}

/// The provider's own lines: those Terraform attributes to its logger.
pub(crate) fn provider_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("provider.terraform-provider-cloudflare: "))
        .collect()
}

/// One provider process seen in the log and the RPCs it received, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcessRpcs {
    /// The process id the provider logged at start.
    pub pid: String,
    /// The protocol version it served.
    pub protocol: String,
    /// `tf_rpc` of each "Received request", in order.
    pub rpcs: Vec<String>,
}

/// Groups the "Received request" lines by the provider process that logged them.
pub(crate) fn rpcs_per_process(log: &str) -> Vec<ProcessRpcs> {
    let mut processes: Vec<ProcessRpcs> = Vec::new();
    for line in provider_lines(log) {
        if line.contains(": provider started:") {
            processes.push(ProcessRpcs {
                pid: field(line, "pid").unwrap_or("?").to_string(),
                protocol: field(line, "protocol").unwrap_or("?").to_string(),
                rpcs: Vec::new(),
            });
        } else if line.contains(": Received request:") {
            if let (Some(process), Some(rpc)) = (processes.last_mut(), field(line, "tf_rpc")) {
                process.rpcs.push(rpc.to_string());
            }
        }
    }
    processes
}

/// The sequences as text for a test's output: one line per process.
pub(crate) fn describe(processes: &[ProcessRpcs]) -> String {
    processes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "  process {} (pid {}, protocol {}): {}\n",
                i + 1,
                p.pid,
                p.protocol,
                p.rpcs.join(" → ")
            )
        })
        .collect()
}
