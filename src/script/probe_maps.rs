//! Check options from script maps, and check results as script maps. Pure:
//! values in, values out, so the unit tests below hold every rule.

use std::time::Duration;

use rhai::{Array, Dynamic, Map};

use super::convert::{ArgResult, Options, describe};
use crate::probe::{
    Family, HttpOptions, HttpReport, LatencyOptions, LatencyReport, ListenMode, PingOptions,
    PingReport, Resolution, ResolveOptions, Source, TcpOptions, TcpReport, TcpState,
    ThroughputOptions, ThroughputReport, UdpOptions, UdpReport,
};

/// Options of `resolve`.
pub(crate) const RESOLVE_OPTIONS: &[&str] = &["timeout", "family"];
/// Options of `tcp` and `tcp_all`.
pub(crate) const TCP_OPTIONS: &[&str] = &["timeout", "family"];
/// Options of `assert_port_open` / `assert_port_closed`.
pub(crate) const PORT_ASSERT_OPTIONS: &[&str] = &["timeout", "family", "state"];
/// Options of `udp`.
pub(crate) const UDP_OPTIONS: &[&str] = &["timeout", "family"];
/// Options of `http`.
pub(crate) const HTTP_OPTIONS: &[&str] = &["method", "headers", "body", "timeout", "family"];
/// Options of `listen`.
pub(crate) const LISTEN_OPTIONS: &[&str] = &["proto", "name"];
/// Options of `throughput`.
pub(crate) const THROUGHPUT_OPTIONS: &[&str] = &["secs", "port", "timeout", "family"];
/// Options of `latency`.
pub(crate) const LATENCY_OPTIONS: &[&str] = &["count", "port", "interval", "timeout", "family"];
/// Options of `ping`.
pub(crate) const PING_OPTIONS: &[&str] = &["count", "interval", "timeout", "family"];
/// Options of `assert_reachable`.
pub(crate) const REACHABLE_OPTIONS: &[&str] = &[
    "max_loss_pct",
    "max_rtt_ms",
    "count",
    "interval",
    "timeout",
    "family",
];

/// A number of seconds (a fraction too), more than 0 and at most a day.
fn seconds(o: &mut Options, key: &str) -> ArgResult<Option<Duration>> {
    let Some(secs) = number(o, key, f64::MIN..=f64::MAX)? else {
        return Ok(None);
    };
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "option \"{key}\" must be more than 0 seconds and at most a day, got {secs}"
        ));
    }
    Ok(Some(Duration::from_secs_f64(secs)))
}

/// A number, whole or not, within `range`.
fn number(
    o: &mut Options,
    key: &str,
    range: std::ops::RangeInclusive<f64>,
) -> ArgResult<Option<f64>> {
    let Some(v) = o.take(key) else {
        return Ok(None);
    };
    #[allow(clippy::cast_precision_loss)] // script numbers are far below 2^52
    let n = match (v.as_int(), v.as_float()) {
        (Ok(n), _) => n as f64,
        (_, Ok(f)) => f,
        _ => {
            return Err(format!(
                "option \"{key}\" must be a number, got {}",
                describe(&v)
            ));
        }
    };
    if !range.contains(&n) {
        return Err(format!(
            "option \"{key}\" must be between {} and {}, got {n}",
            range.start(),
            range.end()
        ));
    }
    Ok(Some(n))
}

/// `family: 4` or `family: 6`.
fn family(o: &mut Options) -> ArgResult<Option<Family>> {
    match o.int("family", i64::MIN..=i64::MAX)? {
        None => Ok(None),
        Some(n) => Family::from_number(n)
            .map(Some)
            .ok_or_else(|| format!("option \"family\" must be 4 (IPv4) or 6 (IPv6), got {n}")),
    }
}

/// A port number as a script gives it.
pub(crate) fn port(param: &str, n: i64) -> ArgResult<u16> {
    match u16::try_from(n) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("{param} must be between 1 and 65535, got {n}")),
    }
}

fn port_option(o: &mut Options) -> ArgResult<Option<u16>> {
    o.int("port", i64::MIN..=i64::MAX)?
        .map(|n| port("option \"port\"", n))
        .transpose()
}

fn count(o: &mut Options) -> ArgResult<Option<u32>> {
    Ok(o.int("count", 1..=10_000)?.map(|n| n as u32))
}

pub(crate) fn resolve_options(opts: Dynamic) -> ArgResult<ResolveOptions> {
    let mut o = Options::new(opts, RESOLVE_OPTIONS)?;
    let d = ResolveOptions::default();
    Ok(ResolveOptions {
        timeout: seconds(&mut o, "timeout")?.unwrap_or(d.timeout),
        family: family(&mut o)?,
    })
}

pub(crate) fn tcp_options(opts: Dynamic) -> ArgResult<TcpOptions> {
    let mut o = Options::new(opts, TCP_OPTIONS)?;
    tcp_from(&mut o)
}

fn tcp_from(o: &mut Options) -> ArgResult<TcpOptions> {
    Ok(TcpOptions {
        timeout: seconds(o, "timeout")?.unwrap_or(TcpOptions::default().timeout),
        family: family(o)?,
    })
}

/// The options of a port assertion, and the `state` it expects (only
/// `assert_port_closed` takes one).
pub(crate) fn port_assert_options(opts: Dynamic) -> ArgResult<(TcpOptions, Option<TcpState>)> {
    let mut o = Options::new(opts, PORT_ASSERT_OPTIONS)?;
    let tcp = tcp_from(&mut o)?;
    let state = match o.string("state")? {
        None => None,
        Some(name) => Some(TcpState::parse(&name).ok_or_else(|| {
            let known: Vec<&str> = TcpState::ALL.iter().map(|s| s.as_str()).collect();
            format!(
                "option \"state\" must be one of {}, got {name:?}",
                known.join(", ")
            )
        })?),
    };
    Ok((tcp, state))
}

pub(crate) fn udp_options(opts: Dynamic) -> ArgResult<UdpOptions> {
    let mut o = Options::new(opts, UDP_OPTIONS)?;
    Ok(UdpOptions {
        timeout: seconds(&mut o, "timeout")?.unwrap_or(UdpOptions::default().timeout),
        family: family(&mut o)?,
    })
}

pub(crate) fn http_options(opts: Dynamic) -> ArgResult<HttpOptions> {
    let mut o = Options::new(opts, HTTP_OPTIONS)?;
    let d = HttpOptions::default();
    let method = match o.string("method")? {
        None => d.method,
        Some(m) => http::Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
            format!("option \"method\" must be an HTTP method such as \"GET\", got {m:?}")
        })?,
    };
    Ok(HttpOptions {
        method,
        headers: o.string_map("headers")?,
        body: o.string("body")?.unwrap_or_default().into_bytes(),
        timeout: seconds(&mut o, "timeout")?.unwrap_or(d.timeout),
        family: family(&mut o)?,
        max_body: d.max_body,
    })
}

/// What `listen` answers; `name` is the container's, the HTTP body by default.
pub(crate) fn listen_mode(opts: Dynamic, name: &str) -> ArgResult<ListenMode> {
    let mut o = Options::new(opts, LISTEN_OPTIONS)?;
    let body = o.string("name")?.unwrap_or_else(|| name.to_string());
    match o.string("proto")?.as_deref() {
        None | Some("tcp") => Ok(ListenMode::Tcp),
        Some("http") => Ok(ListenMode::Http { name: body }),
        Some("udp") => Ok(ListenMode::UdpEcho),
        Some(other) => Err(format!(
            "option \"proto\" must be \"tcp\", \"http\" or \"udp\", got {other:?}"
        )),
    }
}

pub(crate) fn throughput_options(opts: Dynamic) -> ArgResult<ThroughputOptions> {
    let mut o = Options::new(opts, THROUGHPUT_OPTIONS)?;
    let d = ThroughputOptions::default();
    Ok(ThroughputOptions {
        duration: seconds(&mut o, "secs")?.unwrap_or(d.duration),
        port: port_option(&mut o)?,
        connect_timeout: seconds(&mut o, "timeout")?.unwrap_or(d.connect_timeout),
        family: family(&mut o)?,
    })
}

pub(crate) fn latency_options(opts: Dynamic) -> ArgResult<LatencyOptions> {
    let mut o = Options::new(opts, LATENCY_OPTIONS)?;
    let d = LatencyOptions::default();
    Ok(LatencyOptions {
        count: count(&mut o)?.unwrap_or(d.count),
        port: port_option(&mut o)?,
        interval: seconds(&mut o, "interval")?.unwrap_or(d.interval),
        timeout: seconds(&mut o, "timeout")?.unwrap_or(d.timeout),
        family: family(&mut o)?,
    })
}

/// `ping`'s third argument: a count, or an options map.
pub(crate) fn ping_options(value: Dynamic) -> ArgResult<PingOptions> {
    if let Ok(n) = value.as_int() {
        if !(1..=1000).contains(&n) {
            return Err(format!("count must be between 1 and 1000, got {n}"));
        }
        return Ok(PingOptions {
            count: n as u32,
            ..PingOptions::default()
        });
    }
    let mut o = Options::new(value, PING_OPTIONS)?;
    ping_from(&mut o, 3)
}

fn ping_from(o: &mut Options, default_count: u32) -> ArgResult<PingOptions> {
    let d = PingOptions::default();
    Ok(PingOptions {
        count: count(o)?.unwrap_or(default_count),
        interval: seconds(o, "interval")?.unwrap_or(d.interval),
        timeout: seconds(o, "timeout")?.unwrap_or(d.timeout),
        family: family(o)?,
        size: d.size,
    })
}

/// What `assert_reachable` demands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reachability {
    /// How to ping.
    pub(crate) ping: PingOptions,
    /// At most this share of pings may be lost (any reply will do when `None`).
    pub(crate) max_loss_pct: Option<f64>,
    /// The average round trip may be at most this long.
    pub(crate) max_rtt_ms: Option<f64>,
}

/// `assert_reachable`'s options: with a threshold, 10 pings by default;
/// without, one (and more only if it is lost).
pub(crate) fn reachable_options(opts: Dynamic) -> ArgResult<Reachability> {
    let mut o = Options::new(opts, REACHABLE_OPTIONS)?;
    let max_loss_pct = number(&mut o, "max_loss_pct", 0.0..=100.0)?;
    let max_rtt_ms = number(&mut o, "max_rtt_ms", 0.0..=3_600_000.0)?;
    let thresholds = max_loss_pct.is_some() || max_rtt_ms.is_some();
    Ok(Reachability {
        ping: ping_from(&mut o, if thresholds { 10 } else { 1 })?,
        max_loss_pct,
        max_rtt_ms,
    })
}

fn opt<T: Into<Dynamic>>(v: Option<T>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Into::into)
}

fn ms(v: f64) -> Dynamic {
    ((v * 1000.0).round() / 1000.0).into()
}

/// `#{ok, addresses, ms, error, detail, source, server, via}`.
pub(crate) fn resolution_map(name: &str, r: &Resolution, via: &str) -> Map {
    let mut m = Map::new();
    m.insert("ok".into(), r.ok().into());
    let addresses: Array = r.addresses.iter().map(|a| a.to_string().into()).collect();
    m.insert("addresses".into(), addresses.into());
    m.insert("ms".into(), ms(r.ms));
    m.insert("error".into(), opt(r.error.as_ref().map(|e| e.code())));
    m.insert(
        "detail".into(),
        opt(r.error.as_ref().map(|e| e.describe(name))),
    );
    let (source, server) = match &r.source {
        Some(Source::Literal) => (Some("literal"), None),
        Some(Source::Hosts) => (Some("hosts"), None),
        Some(Source::Dns(server)) => (Some("dns"), Some(server.to_string())),
        None => (None, None),
    };
    m.insert("source".into(), opt(source));
    m.insert("server".into(), opt(server));
    m.insert("via".into(), via.into());
    m
}

/// `#{ok, state, ms, address, detail, via}`.
pub(crate) fn tcp_map(r: &TcpReport, via: &str) -> Map {
    let mut m = Map::new();
    m.insert("ok".into(), r.ok().into());
    m.insert("state".into(), r.state.as_str().into());
    m.insert("ms".into(), ms(r.ms));
    m.insert("address".into(), opt(r.address.map(|a| a.to_string())));
    m.insert("detail".into(), opt(r.detail.clone()));
    m.insert("via".into(), via.into());
    m
}

/// `#{ok, state, reply, ms, address, detail, via}`; the reply as text.
pub(crate) fn udp_map(r: &UdpReport) -> Map {
    let mut m = Map::new();
    m.insert("ok".into(), r.reply.is_some().into());
    m.insert("state".into(), r.state.as_str().into());
    m.insert(
        "reply".into(),
        opt(r
            .reply
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())),
    );
    m.insert("ms".into(), ms(r.ms));
    m.insert("address".into(), opt(r.address.map(|a| a.to_string())));
    m.insert("detail".into(), opt(r.detail.clone()));
    m.insert("via".into(), super::probe_side::via::NETNS.into());
    m
}

/// `#{ok, status, headers, body, ms, error, detail, address, via}`; `ok`
/// for a status below 400.
pub(crate) fn http_map(r: &HttpReport, via: &str) -> Map {
    let mut m = Map::new();
    m.insert("ok".into(), r.status.is_some_and(|s| s < 400).into());
    m.insert("status".into(), opt(r.status.map(i64::from)));
    let mut headers = Map::new();
    for (k, v) in &r.headers {
        headers.insert(k.as_str().into(), v.clone().into());
    }
    m.insert("headers".into(), headers.into());
    m.insert("body".into(), r.body.clone().into());
    m.insert("ms".into(), ms(r.ms));
    m.insert("error".into(), opt(r.error.as_ref().map(|e| e.0)));
    m.insert("detail".into(), opt(r.error.as_ref().map(|e| e.1.clone())));
    m.insert("address".into(), opt(r.address.map(|a| a.to_string())));
    m.insert("via".into(), via.into());
    m
}

/// `#{mbit_per_s, bytes, secs, address, via}`.
pub(crate) fn throughput_map(r: &ThroughputReport) -> Map {
    let mut m = Map::new();
    m.insert("mbit_per_s".into(), r.mbit_per_s.into());
    m.insert(
        "bytes".into(),
        i64::try_from(r.bytes).unwrap_or(i64::MAX).into(),
    );
    m.insert("secs".into(), r.secs.into());
    m.insert("address".into(), r.address.to_string().into());
    m.insert("via".into(), super::probe_side::via::NETNS.into());
    m
}

/// `#{ok, min, p50, p90, p99, max, avg, samples, sent, loss_pct, method, error, detail, via}`.
pub(crate) fn latency_map(r: &LatencyReport) -> Map {
    let mut m = Map::new();
    m.insert("ok".into(), r.summary.is_some().into());
    let s = r.summary.as_ref();
    for (key, value) in [
        ("min", s.map(|s| s.min)),
        ("p50", s.map(|s| s.p50)),
        ("p90", s.map(|s| s.p90)),
        ("p99", s.map(|s| s.p99)),
        ("max", s.map(|s| s.max)),
        ("avg", s.map(|s| s.avg)),
    ] {
        m.insert(key.into(), value.map_or(Dynamic::UNIT, ms));
    }
    m.insert(
        "samples".into(),
        i64::try_from(r.samples.len()).unwrap_or(0).into(),
    );
    m.insert("sent".into(), i64::from(r.sent).into());
    m.insert("loss_pct".into(), r.loss_pct().into());
    m.insert("method".into(), r.method.into());
    m.insert("error".into(), opt(r.error.as_ref().map(|e| e.0)));
    m.insert("detail".into(), opt(r.error.as_ref().map(|e| e.1.clone())));
    m.insert("via".into(), super::probe_side::via::NETNS.into());
    m
}

/// The shape `ping` has always had — `#{ok, sent, received, loss_pct,
/// rtt_ms}` — plus `rtt_min`, `rtt_avg`, `rtt_max`, `error`, `detail`, `via`.
pub(crate) fn ping_map(r: &PingReport) -> Map {
    let mut m = Map::new();
    let mma = r.rtt_min_avg_max();
    m.insert("ok".into(), (r.received() > 0).into());
    m.insert("sent".into(), i64::from(r.sent).into());
    m.insert("received".into(), i64::from(r.received()).into());
    m.insert("loss_pct".into(), r.loss_pct().into());
    m.insert("rtt_ms".into(), mma.map_or(Dynamic::UNIT, |t| ms(t.1)));
    m.insert("rtt_min".into(), mma.map_or(Dynamic::UNIT, |t| ms(t.0)));
    m.insert("rtt_avg".into(), mma.map_or(Dynamic::UNIT, |t| ms(t.1)));
    m.insert("rtt_max".into(), mma.map_or(Dynamic::UNIT, |t| ms(t.2)));
    m.insert("error".into(), opt(r.error.as_ref().map(|e| e.0)));
    m.insert("detail".into(), opt(r.error.as_ref().map(|e| e.1.clone())));
    m.insert("via".into(), super::probe_side::via::NETNS.into());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Dynamic)]) -> Dynamic {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        Dynamic::from_map(m)
    }

    #[test]
    fn ports_outside_1_to_65535_are_refused() {
        assert_eq!(port("port", 80), Ok(80));
        for bad in [0, 70_000, -1] {
            let err = port("port", bad).unwrap_err();
            assert!(err.contains("between 1 and 65535"), "{err}");
        }
        let err = throughput_options(map(&[("port", 0.into())])).unwrap_err();
        assert!(err.contains("option \"port\""), "{err}");
    }

    #[test]
    fn durations_must_be_positive_numbers() {
        let t = tcp_options(map(&[("timeout", 0.5.into())])).unwrap();
        assert_eq!(t.timeout, Duration::from_millis(500));
        for bad in [Dynamic::from(-1), Dynamic::from(0), Dynamic::from("soon")] {
            let err = tcp_options(map(&[("timeout", bad)])).unwrap_err();
            assert!(err.contains("option \"timeout\""), "{err}");
        }
        let err = throughput_options(map(&[("secs", (-2.0).into())])).unwrap_err();
        assert!(err.contains("more than 0 seconds"), "{err}");
    }

    #[test]
    fn states_families_and_protocols_are_checked_by_name() {
        let (_, state) = port_assert_options(map(&[("state", "filtered".into())])).unwrap();
        assert_eq!(state, Some(TcpState::Filtered));
        let err = port_assert_options(map(&[("state", "closed".into())])).unwrap_err();
        assert!(err.contains("open, refused, filtered"), "{err}");
        let err = tcp_options(map(&[("family", 5.into())])).unwrap_err();
        assert!(err.contains("4 (IPv4) or 6 (IPv6)"), "{err}");
        let err = listen_mode(map(&[("proto", "sctp".into())]), "web").unwrap_err();
        assert!(err.contains("\"tcp\", \"http\" or \"udp\""), "{err}");
        assert_eq!(
            listen_mode(map(&[("proto", "http".into())]), "web").unwrap(),
            ListenMode::Http { name: "web".into() }
        );
        let err = tcp_options(map(&[("timout", 1.into())])).unwrap_err();
        assert!(err.contains("did you mean \"timeout\""), "{err}");
    }

    #[test]
    fn ping_takes_a_count_or_a_map_and_thresholds_ping_more() {
        assert_eq!(ping_options(Dynamic::from(5_i64)).unwrap().count, 5);
        assert!(ping_options(Dynamic::from(0_i64)).is_err());
        let p = ping_options(map(&[("family", 6.into()), ("count", 2.into())])).unwrap();
        assert_eq!((p.count, p.family), (2, Some(Family::V6)));
        let r = reachable_options(map(&[("max_loss_pct", 20.into())])).unwrap();
        assert_eq!((r.ping.count, r.max_loss_pct), (10, Some(20.0)));
        assert_eq!(reachable_options(Dynamic::UNIT).unwrap().ping.count, 1);
        let err = reachable_options(map(&[("max_loss_pct", 120.into())])).unwrap_err();
        assert!(err.contains("between 0 and 100"), "{err}");
    }

    #[test]
    fn http_options_read_method_headers_and_body() {
        let h = http_options(map(&[
            ("method", "post".into()),
            ("headers", map(&[("x-a", "1".into())])),
            ("body", "{}".into()),
        ]))
        .unwrap();
        assert_eq!(h.method, http::Method::POST);
        assert_eq!(h.headers, vec![("x-a".to_string(), "1".to_string())]);
        assert_eq!(h.body, b"{}");
        assert!(http_options(map(&[("method", "GE T".into())])).is_err());
    }

    #[test]
    fn results_keep_pings_shape_and_add_the_new_fields() {
        let r = PingReport {
            sent: 4,
            rtts: vec![1.0, 2.0, 3.0],
            address: None,
            error: None,
        };
        let m = ping_map(&r);
        for key in [
            "ok", "sent", "received", "loss_pct", "rtt_ms", "rtt_min", "rtt_avg", "rtt_max",
            "error", "via",
        ] {
            assert!(m.contains_key(key), "{key}");
        }
        assert_eq!(m["loss_pct"].as_float().unwrap(), 25.0);
        assert_eq!(m["rtt_max"].as_float().unwrap(), 3.0);
        let lost = PingReport {
            sent: 1,
            rtts: vec![],
            address: None,
            error: Some(("no_such_name", "the name \"x\" does not resolve".into())),
        };
        let m = ping_map(&lost);
        assert!(m["rtt_ms"].is_unit());
        assert_eq!(m["error"].clone().into_string().unwrap(), "no_such_name");
    }
}
