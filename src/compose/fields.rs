//! Single fields of a service: published and exposed ports, the health
//! check with its Go-style durations, and `depends_on` as written.

use docker_compose_types::{DependsOnOptions, Healthcheck, HealthcheckTest, Ports, PublishedPort};

use super::error::Problem;
use super::plan::Condition;
use super::services::WrittenDependency;
use crate::docker::ports::{PortMapping, parse_publish};
use crate::docker::spec::HealthSpec;

/// Published ports, short (`"127.0.0.1:8080:80/tcp"`) and long (`{target, published, …}`).
pub(crate) fn ports(base: &str, ports: &Ports, problems: &mut Vec<Problem>) -> Vec<PortMapping> {
    let mut out = Vec::new();
    let texts: Vec<Result<String, String>> = match ports {
        Ports::Short(items) => items.iter().map(|s| Ok(s.clone())).collect(),
        Ports::Long(items) => items
            .iter()
            .map(|p| {
                if let Some(mode) = p
                    .mode
                    .as_deref()
                    .filter(|m| !matches!(*m, "host" | "ingress"))
                {
                    return Err(format!("mode {mode:?}: use \"host\" or \"ingress\""));
                }
                let proto = p.protocol.as_deref().unwrap_or("tcp");
                let published = match &p.published {
                    Some(PublishedPort::Single(n)) => n.to_string(),
                    Some(PublishedPort::Range(r)) => r.clone(),
                    None => String::new(),
                };
                Ok(match p.host_ip.as_deref() {
                    Some(ip) if ip.contains(':') => {
                        format!("[{ip}]:{published}:{}/{proto}", p.target)
                    }
                    Some(ip) => format!("{ip}:{published}:{}/{proto}", p.target),
                    None if published.is_empty() => format!("{}/{proto}", p.target),
                    None => format!("{published}:{}/{proto}", p.target),
                })
            })
            .collect(),
    };
    for (i, text) in texts.into_iter().enumerate() {
        match text.and_then(|t| parse_publish(&t)) {
            Ok(m) => out.extend(m),
            Err(e) => problems.push(Problem::at(format!("{base}.ports[{i}]"), e)),
        }
    }
    out
}

/// `expose` entries: `"80"`, `"53/udp"`, `"8000-8002"`.
pub(crate) fn expose(base: &str, items: &[String], problems: &mut Vec<Problem>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, text) in items.iter().enumerate() {
        let parsed = match text.contains(':') {
            true => Err(format!(
                "{text:?}: expose takes container ports only; publish with `ports`"
            )),
            false => parse_publish(text),
        };
        match parsed {
            Ok(m) => out.extend(m.iter().map(PortMapping::container_key)),
            Err(e) => problems.push(Problem::at(format!("{base}.expose[{i}]"), e)),
        }
    }
    out
}

/// A `healthcheck:` as Docker's health config; a string test runs in a shell.
pub(crate) fn healthcheck(
    base: &str,
    h: &Healthcheck,
    problems: &mut Vec<Problem>,
) -> Option<HealthSpec> {
    let test = match (&h.test, h.disable) {
        (_, true) => vec!["NONE".to_string()],
        (None, false) => Vec::new(),
        (Some(HealthcheckTest::Single(s)), false) => vec!["CMD-SHELL".to_string(), s.clone()],
        (Some(HealthcheckTest::Multiple(l)), false) => {
            if !matches!(
                l.first().map(String::as_str),
                Some("CMD" | "CMD-SHELL" | "NONE")
            ) {
                problems.push(Problem::at(
                    format!("{base}.test"),
                    "a list test starts with \"CMD\", \"CMD-SHELL\" or \"NONE\", like [\"CMD\", \"pg_isready\"]",
                ));
            }
            l.clone()
        }
    };
    let mut duration = |key: &str, v: &Option<String>| {
        let text = v.as_deref()?;
        match go_duration(text) {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(Problem::at(format!("{base}.{key}"), e));
                None
            }
        }
    };
    Some(HealthSpec {
        test,
        interval: duration("interval", &h.interval),
        timeout: duration("timeout", &h.timeout),
        start_period: duration("start_period", &h.start_period),
        retries: match h.retries {
            0 => None,
            r if r < 0 => {
                problems.push(Problem::at(
                    format!("{base}.retries"),
                    "retries must be 1 or more",
                ));
                None
            }
            r => Some(r as u32),
        },
    })
}

/// A Compose (Go) duration: `1m30s`, `500ms`, `1.5s`, `2h`.
pub(crate) fn go_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{text:?} is not a duration like \"30s\", \"1m30s\" or \"500ms\"");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

/// `depends_on` as written: a list (all `service_started`) or a map with conditions.
pub(crate) fn dependencies(
    base: &str,
    d: &DependsOnOptions,
    problems: &mut Vec<Problem>,
) -> Vec<WrittenDependency> {
    match d {
        DependsOnOptions::Simple(list) => list
            .iter()
            .enumerate()
            .map(|(i, s)| WrittenDependency {
                service: s.clone(),
                condition: Condition::Started,
                required: true,
                path: format!("{base}.depends_on[{i}]"),
            })
            .collect(),
        DependsOnOptions::Conditional(map) => map
            .iter()
            .filter_map(|(s, c)| {
                let path = format!("{base}.depends_on.{s}");
                let condition = match c.condition.as_str() {
                    "service_started" | "" => Condition::Started,
                    "service_healthy" => Condition::Healthy,
                    "service_completed_successfully" => Condition::CompletedSuccessfully,
                    other => {
                        problems.push(Problem::at(
                            format!("{path}.condition"),
                            format!("unknown condition {other:?}; use service_started, service_healthy or service_completed_successfully"),
                        ));
                        return None;
                    }
                };
                Some(WrittenDependency {
                    service: s.clone(),
                    condition,
                    required: c.required != Some(false),
                    path,
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::ports::Protocol;

    fn long(yaml: &str) -> Ports {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn ports_in_every_form() {
        let mut problems = Vec::new();
        let short = Ports::Short(vec![
            "3000".into(),
            "3000-3001".into(),
            "8000:8000".into(),
            "9090-9091:8080-8081".into(),
            "127.0.0.1:8001:8001".into(),
            "127.0.0.1::5000".into(),
            "6060:6060/udp".into(),
            "[::1]:6001:6001".into(),
        ]);
        let p = ports("s", &short, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let seen: Vec<(Option<&str>, Option<u16>, u16, Protocol)> = p
            .iter()
            .map(|m| {
                (
                    m.host_ip.as_deref(),
                    m.host_port,
                    m.container_port,
                    m.protocol,
                )
            })
            .collect();
        use Protocol::{Tcp, Udp};
        assert_eq!(
            seen,
            vec![
                (None, None, 3000, Tcp),
                (None, None, 3000, Tcp),
                (None, None, 3001, Tcp),
                (None, Some(8000), 8000, Tcp),
                (None, Some(9090), 8080, Tcp),
                (None, Some(9091), 8081, Tcp),
                (Some("127.0.0.1"), Some(8001), 8001, Tcp),
                (Some("127.0.0.1"), None, 5000, Tcp),
                (None, Some(6060), 6060, Udp),
                (Some("::1"), Some(6001), 6001, Tcp),
            ]
        );
        let l = ports(
            "s",
            &long(
                "- {target: 80, published: 8080}\n- {target: 53, protocol: udp, host_ip: \"::1\", published: \"5353\"}\n- {target: 81, published: \"9000-9000\", mode: host}\n- {target: 82}\n",
            ),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let seen: Vec<(Option<&str>, Option<u16>, u16, Protocol)> = l
            .iter()
            .map(|m| {
                (
                    m.host_ip.as_deref(),
                    m.host_port,
                    m.container_port,
                    m.protocol,
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (None, Some(8080), 80, Tcp),
                (Some("::1"), Some(5353), 53, Udp),
                (None, Some(9000), 81, Tcp),
                (None, None, 82, Tcp),
            ]
        );
    }

    #[test]
    fn bad_ports_and_expose_entries_are_named() {
        let mut problems = Vec::new();
        ports(
            "services.w",
            &Ports::Short(vec!["80".into(), "70000:80".into()]),
            &mut problems,
        );
        ports(
            "services.w",
            &long("- {target: 80, mode: global}\n- {target: 81, protocol: icmp}\n"),
            &mut problems,
        );
        expose(
            "services.w",
            &["80".into(), "53/udp".into(), "8080:80".into(), "x".into()],
            &mut problems,
        );
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "services.w.ports[1]",
                "services.w.ports[0]",
                "services.w.ports[1]",
                "services.w.expose[2]",
                "services.w.expose[3]"
            ]
        );
        assert!(
            problems[1].message.contains("mode \"global\""),
            "{}",
            problems[1].message
        );
        assert!(
            problems[2].message.contains("icmp"),
            "{}",
            problems[2].message
        );
        assert!(
            problems[3].message.contains("publish with `ports`"),
            "{}",
            problems[3].message
        );
        let ok = expose("s", &["8000-8001/udp".into()], &mut Vec::new());
        assert_eq!(ok, vec!["8000/udp", "8001/udp"]);
    }

    #[test]
    fn health_checks_in_every_form() {
        let h = |yaml: &str| -> (Option<HealthSpec>, Vec<Problem>) {
            let mut problems = Vec::new();
            let hc: Healthcheck = serde_norway::from_str(yaml).unwrap();
            (
                healthcheck("services.db.healthcheck", &hc, &mut problems),
                problems,
            )
        };
        let (s, p) = h("test: pg_isready -U app\ninterval: 2s\n");
        assert!(p.is_empty());
        assert_eq!(s.unwrap().test, vec!["CMD-SHELL", "pg_isready -U app"]);
        let (s, _) = h("test: [CMD, pg_isready]\nretries: 3\n");
        let s = s.unwrap();
        assert_eq!(
            (s.test, s.retries),
            (vec!["CMD".to_string(), "pg_isready".to_string()], Some(3))
        );
        let (s, _) = h("test: [CMD, x]\ndisable: true\n");
        assert_eq!(s.unwrap().test, vec!["NONE"]);
        let (s, _) = h("interval: 5s\n");
        assert!(s.unwrap().test.is_empty(), "no test keeps the image's");
        let (_, p) = h("test: [pg_isready]\ntimeout: soon\n");
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "services.db.healthcheck.test",
                "services.db.healthcheck.timeout"
            ]
        );
        assert!(
            p[0].message.contains("starts with \"CMD\""),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn dependencies_as_list_and_map() {
        let mut problems = Vec::new();
        let list: DependsOnOptions = serde_norway::from_str("[db, cache]").unwrap();
        let d = dependencies("services.web", &list, &mut problems);
        assert_eq!(d[1].path, "services.web.depends_on[1]");
        assert!(
            d.iter()
                .all(|d| d.condition == Condition::Started && d.required)
        );
        let map: DependsOnOptions = serde_norway::from_str(
            "db: {condition: service_healthy}\nmigrate: {condition: service_completed_successfully, required: false}\nx: {condition: service_ready}\n",
        )
        .unwrap();
        let d = dependencies("services.web", &map, &mut problems);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].condition, Condition::Healthy);
        assert_eq!(
            (d[1].condition, d[1].required),
            (Condition::CompletedSuccessfully, false)
        );
        assert_eq!(problems[0].path, "services.web.depends_on.x.condition");
    }
}
