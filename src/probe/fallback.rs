//! When netrig cannot enter a namespace (a remote daemon, not root), a
//! binding may run the image's own tools through exec instead. These are
//! the command lines for busybox and common images, and the readers that
//! turn what they print into the same reports the in-namespace checks
//! give. Pure text in, reports out; the binding runs the exec and marks the
//! result `via: "exec"`.

use std::net::IpAddr;
use std::time::Duration;

use super::dns::{Resolution, ResolveFailure};
use super::http::HttpReport;
use super::tcp::{TcpReport, TcpState};

/// Exit codes of a shell that could not run the program at all.
const NOT_FOUND: [i64; 2] = [126, 127];

/// Whether an exec's outcome says the tool is missing from the image.
pub fn tool_missing(exit_code: i64, output: &str) -> bool {
    NOT_FOUND.contains(&exit_code)
        || output.contains("executable file not found")
        || output.contains("applet not found")
        || output.contains("no such file or directory")
}

/// Whole seconds for a tool's `-w`/`-T` option: at least one.
fn whole_secs(timeout: Duration) -> String {
    timeout.as_secs_f64().ceil().max(1.0).to_string()
}

/// `nc -w SECS TARGET PORT`: connects, sees the end of its (empty) input
/// and leaves.
pub fn tcp_command(target: &str, port: u16, timeout: Duration) -> Vec<String> {
    vec![
        "nc".into(),
        "-w".into(),
        whole_secs(timeout),
        target.into(),
        port.to_string(),
    ]
}

/// What `nc` said, as a TCP report; `None` when `nc` is not there to ask.
/// `ms` is the exec's whole duration: process start included.
///
/// ```text
/// use netrig::probe::{TcpState, fallback::read_tcp};
/// let r = read_tcp(1, "nc: can't connect to remote host (172.19.0.2): Connection refused\n", 60.0).unwrap();
/// assert_eq!(r.state, TcpState::Refused);
/// ```
pub fn read_tcp(exit_code: i64, output: &str, ms: f64) -> Option<TcpReport> {
    if tool_missing(exit_code, output) {
        return None;
    }
    let said = output.trim();
    let lower = said.to_ascii_lowercase();
    let state = if exit_code == 0 {
        TcpState::Open
    } else if lower.contains("refused") {
        TcpState::Refused
    } else if lower.contains("bad address") || lower.contains("name or service not known") {
        TcpState::NoSuchName
    } else if lower.contains("timed out") {
        TcpState::Filtered
    } else if lower.contains("unreachable") || lower.contains("no route") {
        TcpState::Unreachable
    } else {
        return None;
    };
    Some(TcpReport {
        state,
        ms,
        address: None,
        detail: (state != TcpState::Open).then(|| said.to_string()),
    })
}

/// `nslookup NAME`.
pub fn resolve_command(name: &str) -> Vec<String> {
    vec!["nslookup".into(), name.into()]
}

/// What `nslookup` said, as a resolution; `None` when it is not there or
/// printed nothing netrig can read.
///
/// ```text
/// let out = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\tweb\nAddress: 172.19.0.2\n";
/// let r = netrig::probe::fallback::read_resolve(0, out, 40.0).unwrap();
/// assert_eq!(r.addresses, vec!["172.19.0.2".parse::<std::net::IpAddr>().unwrap()]);
/// ```
pub fn read_resolve(exit_code: i64, output: &str, ms: f64) -> Option<Resolution> {
    if tool_missing(exit_code, output) {
        return None;
    }
    // The server's own lines come before the first blank line.
    let answers = output.split_once("\n\n").map_or("", |(_, rest)| rest);
    let mut addresses: Vec<IpAddr> = answers
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Address"))
        .filter_map(|rest| {
            let value = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
            value
                .trim_start_matches(':')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    addresses.sort_by_key(|a| a.is_ipv6());
    addresses.dedup();
    let error = if !addresses.is_empty() {
        None
    } else if output.contains("NXDOMAIN") || output.contains("can't find") {
        Some(ResolveFailure::NoSuchName)
    } else if output.contains("timed out") || output.contains("no servers could be reached") {
        Some(ResolveFailure::NoAnswer {
            servers: Vec::new(),
            detail: output.trim().to_string(),
        })
    } else {
        return None;
    };
    Some(Resolution {
        addresses,
        ms,
        error,
        source: None,
    })
}

/// `wget -S -O - -T SECS URL`: headers on stderr, body on stdout.
pub fn http_command(url: &str, timeout: Duration) -> Vec<String> {
    vec![
        "wget".into(),
        "-S".into(),
        "-O".into(),
        "-".into(),
        "-T".into(),
        whole_secs(timeout),
        url.into(),
    ]
}

/// What `wget` printed, as an HTTP report; `None` when it is not there,
/// crashed, or said nothing netrig can read.
pub fn read_http(exit_code: i64, stdout: &str, stderr: &str, ms: f64) -> Option<HttpReport> {
    if tool_missing(exit_code, stderr) || exit_code > 128 {
        return None;
    }
    let status = stderr.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let version = words.next()?;
        version
            .starts_with("HTTP/")
            .then(|| words.next()?.parse::<u16>().ok())?
    });
    let headers = stderr
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with("HTTP/"))
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let lower = stderr.to_ascii_lowercase();
    let error = match status {
        Some(_) => None,
        None if lower.contains("bad address") => Some(("no_such_name", stderr.trim().to_string())),
        None if lower.contains("refused") => Some(("refused", stderr.trim().to_string())),
        None if lower.contains("timed out") => Some(("timeout", stderr.trim().to_string())),
        None if lower.contains("unreachable") => Some(("unreachable", stderr.trim().to_string())),
        None => return None,
    };
    Some(HttpReport {
        status,
        headers,
        body: if status.is_some() {
            stdout.to_string()
        } else {
            String::new()
        },
        ms,
        address: None,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_nc_answers_become_states() {
        let state = |rc, out| read_tcp(rc, out, 50.0).map(|r| r.state);
        assert_eq!(state(0, ""), Some(TcpState::Open));
        assert_eq!(
            state(
                1,
                "nc: can't connect to remote host (172.19.0.2): Connection refused\n"
            ),
            Some(TcpState::Refused)
        );
        assert_eq!(
            state(1, "nc: bad address 'nosuch'\n"),
            Some(TcpState::NoSuchName)
        );
        assert_eq!(state(1, "nc: timed out\n"), Some(TcpState::Filtered));
        assert_eq!(
            state(
                1,
                "nc: can't connect to remote host (10.9.0.1): No route to host\n"
            ),
            Some(TcpState::Unreachable)
        );
        assert_eq!(state(127, "sh: nc: not found"), None);
        assert_eq!(
            state(
                126,
                "OCI runtime exec failed: exec: \"nc\": executable file not found in $PATH"
            ),
            None
        );
        assert_eq!(
            state(1, "nc: something new"),
            None,
            "unknown output is not guessed"
        );
        assert_eq!(tcp_command("web", 80, Duration::from_millis(300))[2], "1");
    }

    #[test]
    fn busybox_nslookup_answers_and_nxdomain() {
        let found = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n\
                     Name:\tweb\nAddress: 172.19.0.2\n\nNon-authoritative answer:\nName:\tweb\nAddress: fd00::2\n\n";
        let r = read_resolve(0, found, 30.0).unwrap();
        assert_eq!(r.addresses.len(), 2);
        assert!(r.addresses[0].is_ipv4() && r.error.is_none());
        let missing = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n** server can't find nosuch: NXDOMAIN\n\n";
        let r = read_resolve(1, missing, 30.0).unwrap();
        assert_eq!(r.error.map(|e| e.code()), Some("no_such_name"));
        let silent = ";; connection timed out; no servers could be reached\n";
        assert_eq!(
            read_resolve(1, silent, 30.0)
                .unwrap()
                .error
                .map(|e| e.code()),
            Some("no_answer")
        );
        // iputils-style numbered lines (`Address 1: 10.0.0.2 web`).
        let numbered =
            "Server: 127.0.0.11\nAddress 1: 127.0.0.11\n\nName: web\nAddress 1: 10.0.0.2 web.net\n";
        assert_eq!(
            read_resolve(0, numbered, 1.0).unwrap().addresses,
            vec![IpAddr::from([10, 0, 0, 2])]
        );
    }

    #[test]
    fn wget_status_headers_and_failures() {
        let stderr = "Connecting to web (172.19.0.2:80)\n  HTTP/1.1 404 Not Found\n  Content-Type: text/html\n\
                      wget: server returned error: HTTP/1.1 404 Not Found\n";
        let r = read_http(1, "", stderr, 20.0).unwrap();
        assert_eq!(r.status, Some(404));
        assert_eq!(
            r.headers,
            vec![("content-type".to_string(), "text/html".to_string())]
        );
        let r = read_http(0, "hi\n", "  HTTP/1.1 200 OK\n", 20.0).unwrap();
        assert_eq!((r.status, r.body.as_str()), (Some(200), "hi\n"));
        let r = read_http(1, "", "wget: bad address 'nosuch'\n", 20.0).unwrap();
        assert_eq!(r.error.map(|e| e.0), Some("no_such_name"));
        assert!(
            read_http(139, "", "Segmentation fault\n", 5.0).is_none(),
            "a crashed wget proves nothing"
        );
        assert!(read_http(127, "", "sh: wget: not found\n", 5.0).is_none());
    }
}
