//! The command-line options that say how to reach the Docker daemon
//! (`--host`, `--pull`, `--docker-timeout`, each with its environment
//! variable), and the [`ClientOptions`] they make for the Docker layer,
//! which reads no environment itself.

use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser};

use crate::docker::client::{ClientOptions, Notes, REQUEST_TIMEOUT};
use crate::docker::image::PullPolicy;
use crate::docker::pool::SubnetPool;

/// How to reach the Docker daemon; global options of every subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct DaemonArgs {
    /// Docker daemon to talk to (unix:///path, tcp://host:port, ssh://user@host); default: the local socket.
    #[arg(long, global = true, value_name = "URL", env = "DOCKER_HOST")]
    pub(crate) host: Option<String>,

    /// Pull images that are not on the daemon (`missing`, the default), or never contact a registry (`never`: a missing image is an error).
    #[arg(long, global = true, value_name = "WHEN", env = "NETRIG_PULL", value_parser = PullParser)]
    pub(crate) pull: Option<PullPolicy>,

    /// Give up on a Docker request after SECS seconds (default 120).
    #[arg(long, global = true, value_name = "SECS", env = "NETRIG_DOCKER_TIMEOUT", value_parser = parse_timeout)]
    pub(crate) docker_timeout: Option<Duration>,

    /// Where networks without a `subnet` get one: CIDR, or CIDR/size to cut it into subnets of that size (default 10.213.0.0/16 in /24s).
    #[arg(long, global = true, value_name = "CIDR[/SIZE]", env = "NETRIG_SUBNET_POOL", value_parser = parse_pool)]
    pub(crate) subnet_pool: Option<SubnetPool>,
}

impl DaemonArgs {
    /// The options from the environment alone, for programs without
    /// netrig's command line (the benchmark).
    pub fn from_env() -> Result<DaemonArgs, clap::Error> {
        /// A command line with nothing but the daemon options.
        #[derive(Parser)]
        struct EnvOnly {
            #[command(flatten)]
            daemon: DaemonArgs,
        }
        EnvOnly::try_parse_from(["netrig"]).map(|e| e.daemon)
    }

    /// The Docker layer's options; its warnings are printed on stderr.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            host: self.host.clone(),
            timeout: self.docker_timeout.unwrap_or(REQUEST_TIMEOUT),
            pull: self.pull.unwrap_or_default(),
            notes: Notes::new(|text| crate::rig::report::note(format!("warning: {text}"))),
            pool: self.subnet_pool.unwrap_or_default(),
            // `netrig run --trace/--explain` and the REPL's `:explain` set these.
            ..ClientOptions::default()
        }
    }

    /// `options` as command-line arguments, for a netrig this one starts
    /// (the reaper), so it reaches the daemon the same way.
    pub(crate) fn to_args(options: &ClientOptions) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(host) = &options.host {
            args.extend(["--host".to_string(), host.clone()]);
        }
        args.extend([
            "--pull".to_string(),
            options.pull.name().to_string(),
            "--docker-timeout".to_string(),
            options.timeout.as_secs_f64().to_string(),
        ]);
        args
    }
}

/// `--pull missing|never` (any case, as `NETRIG_PULL` always took it);
/// empty (`NETRIG_PULL=`) is the default. Anything else is refused with
/// the possible values, like any of clap's value lists.
#[derive(Debug, Clone, Copy)]
struct PullParser;

/// The names `--pull` takes, as help and errors list them.
const PULL_NAMES: [&str; 2] = ["missing", "never"];

impl TypedValueParser for PullParser {
    type Value = PullPolicy;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<PullPolicy, clap::Error> {
        let text = value.to_string_lossy();
        if text.trim().is_empty() {
            return Ok(PullPolicy::default());
        }
        match PullPolicy::from_name(&text) {
            Some(policy) => Ok(policy),
            // Not a name: clap's own list parser says so, naming the choices.
            None => PossibleValuesParser::new(PULL_NAMES)
                .parse_ref(cmd, arg, value)
                .map(|_| PullPolicy::default()),
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(PULL_NAMES.into_iter().map(PossibleValue::new)))
    }
}

/// `--subnet-pool CIDR[/SIZE]`; empty (`NETRIG_SUBNET_POOL=`) is the default.
fn parse_pool(text: &str) -> Result<SubnetPool, String> {
    if text.trim().is_empty() {
        return Ok(SubnetPool::default());
    }
    text.parse::<SubnetPool>()
        .map_err(|e| format!("{e} (--subnet-pool, NETRIG_SUBNET_POOL)"))
}

/// `--docker-timeout SECS`; empty (`NETRIG_DOCKER_TIMEOUT=`) is the default.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    if text.trim().is_empty() {
        return Ok(REQUEST_TIMEOUT);
    }
    parse_secs(text).map_err(|e| format!("{e} (--docker-timeout, NETRIG_DOCKER_TIMEOUT)"))
}

/// `--timeout 30`, `--timeout 2.5`: positive seconds, at most a day.
pub(crate) fn parse_secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("expected seconds between 0 and 86400, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_survive_the_trip_through_arguments() {
        let options = ClientOptions {
            host: Some("tcp://127.0.0.1:2375".into()),
            timeout: Duration::from_secs_f64(2.5),
            pull: PullPolicy::Never,
            ..ClientOptions::default()
        };
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            daemon: DaemonArgs,
        }
        let args = std::iter::once("netrig".to_string()).chain(DaemonArgs::to_args(&options));
        let back = Cli::try_parse_from(args).unwrap().daemon.client_options();
        assert_eq!(back.host, options.host);
        assert_eq!(back.timeout, options.timeout);
        assert_eq!(back.pull, options.pull);
    }

    #[test]
    fn pull_names_are_read_in_any_case() {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            daemon: DaemonArgs,
        }
        let pull =
            |value: &str| Cli::try_parse_from(["netrig", "--pull", value]).map(|c| c.daemon.pull);
        assert_eq!(pull(" Never ").unwrap(), Some(PullPolicy::Never));
        assert_eq!(pull("").unwrap(), Some(PullPolicy::Missing));
        let refused = pull("always").unwrap_err().to_string();
        assert!(
            refused.contains("possible values: missing, never"),
            "{refused}"
        );
    }

    #[test]
    fn the_subnet_pool_option_names_itself_when_wrong() {
        assert_eq!(parse_pool(""), Ok(SubnetPool::default()));
        assert_eq!(
            parse_pool("10.99.0.0/20/26").unwrap().to_string(),
            "10.99.0.0/20/26"
        );
        let err = parse_pool("10.99.0.0").unwrap_err();
        assert!(err.contains("--subnet-pool, NETRIG_SUBNET_POOL"), "{err}");
    }

    #[test]
    fn an_empty_timeout_is_the_default() {
        assert_eq!(parse_timeout(""), Ok(REQUEST_TIMEOUT));
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        assert!(
            parse_timeout("-1")
                .unwrap_err()
                .contains("NETRIG_DOCKER_TIMEOUT")
        );
    }
}
