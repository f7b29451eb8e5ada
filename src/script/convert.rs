//! Rhai values → netrig specs. Every rejection names the option, says what
//! form it wants and shows what it got; unknown keys list the valid ones.

use std::collections::HashMap;

use rhai::{Array, Dynamic, Map};

pub(crate) use super::cidr::check_cidr;
use super::handles::{ContainerHandle, NetworkHandle};
use crate::docker::ports::{PortMapping, parse_publish};
use crate::docker::spec::{ConnectSpec, NetworkSpec, RunSpec};

/// A message about a bad argument; the binding adds the function name.
pub(crate) type ArgResult<T> = Result<T, String>;

/// Options accepted by `network::create`.
pub const NETWORK_OPTIONS: &[&str] = &[
    "driver",
    "subnet",
    "gateway",
    "ip_range",
    "internal",
    "attachable",
    "ipv6",
    "labels",
    "options",
];

/// Options accepted by `run`.
pub const RUN_OPTIONS: &[&str] = &[
    "name",
    "network",
    "ports",
    "cmd",
    "entrypoint",
    "env",
    "aliases",
    "hostname",
    "labels",
    "cap_add",
    "workdir",
    "user",
    "privileged",
    "init",
];

/// Options accepted by `network::connect`.
pub const CONNECT_OPTIONS: &[&str] = &["aliases", "ip"];

/// Options accepted by `ps`.
pub(crate) const PS_OPTIONS: &[&str] = &["all", "label", "name", "network"];

/// A short description of a value for error messages: `42`, `"abc"`, `a map`.
pub(crate) fn describe(value: &Dynamic) -> String {
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        return h.to_string();
    }
    if let Some(h) = value.read_lock::<NetworkHandle>() {
        return h.to_string();
    }
    if value.is_string() {
        let s = value.to_string();
        if s.chars().count() > 40 {
            return format!("{:?}… (a string)", s.chars().take(40).collect::<String>());
        }
        return format!("{s:?}");
    }
    if value.is_int() || value.is_float() || value.is_bool() {
        return value.to_string();
    }
    if value.is_unit() {
        return "()".into();
    }
    if value.is_array() {
        return "an array".into();
    }
    if value.is_map() {
        return "a map".into();
    }
    if value.is_fnptr() {
        return "a function".into();
    }
    format!("a value of type {}", value.type_name())
}

/// The name or id of the container a value stands for (a handle or a name).
pub(crate) fn container_ref(param: &str, value: &Dynamic) -> ArgResult<String> {
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        return Ok(h.name.clone());
    }
    match value.clone().into_string() {
        Ok(s) if !s.trim().is_empty() => Ok(s),
        Ok(_) => Err(format!(
            "{param} must name a container, got an empty string"
        )),
        Err(_) => Err(format!(
            "{param} must be a container handle or a container name, got {}",
            describe(value)
        )),
    }
}

/// The name or id of the network a value stands for (a handle or a name).
pub(crate) fn network_ref(param: &str, value: &Dynamic) -> ArgResult<String> {
    if let Some(h) = value.read_lock::<NetworkHandle>() {
        return Ok(h.name.clone());
    }
    match value.clone().into_string() {
        Ok(s) if !s.trim().is_empty() => Ok(s),
        Ok(_) => Err(format!("{param} must name a network, got an empty string")),
        Err(_) => Err(format!(
            "{param} must be a network handle or a network name, got {}",
            describe(value)
        )),
    }
}

/// A ping target: a container handle means its name (resolved by Docker's
/// DNS inside the container); a string is a name or an address.
pub(crate) fn target_ref(param: &str, value: &Dynamic) -> ArgResult<String> {
    container_ref(param, value).map_err(|_| {
        format!(
            "{param} must be a container handle, a container name or an IP address, got {}",
            describe(value)
        )
    })
}

/// An option map being read: unknown keys are rejected up front.
pub(crate) struct Options {
    map: Map,
}

impl Options {
    /// Checks `value` is a map whose keys are all in `valid`.
    pub(crate) fn new(value: Dynamic, valid: &[&str]) -> ArgResult<Options> {
        if value.is_unit() {
            return Ok(Options { map: Map::new() });
        }
        let Some(map) = value.clone().try_cast::<Map>() else {
            return Err(format!(
                "the options must be a map like #{{{}: …}}, got {}",
                valid[0],
                describe(&value)
            ));
        };
        for key in map.keys() {
            if !valid.contains(&key.as_str()) {
                let hint = closest(key, valid)
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown option \"{key}\"{hint}; valid options: {}",
                    valid.join(", ")
                ));
            }
        }
        Ok(Options { map })
    }

    /// The value of `key`, taken out of the map (`()` counts as absent).
    pub(crate) fn take(&mut self, key: &str) -> Option<Dynamic> {
        self.map.remove(key).filter(|v| !v.is_unit())
    }

    /// An option as given, for the caller to read (a handle or a name).
    pub(crate) fn value(&mut self, key: &str) -> Option<Dynamic> {
        self.take(key)
    }

    /// A string option.
    pub(crate) fn string(&mut self, key: &str) -> ArgResult<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.to_string())),
            // Numbers are fine where a string is wanted (a user "1000", a hostname).
            Some(v) if v.is_int() => Ok(Some(v.to_string())),
            Some(v) => Err(format!(
                "option \"{key}\" must be a string, got {}",
                describe(&v)
            )),
        }
    }

    /// A whole-number option within `range`.
    pub(crate) fn int(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> ArgResult<Option<i64>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => match v.as_int() {
                Ok(n) if range.contains(&n) => Ok(Some(n)),
                Ok(n) => Err(format!(
                    "option \"{key}\" must be between {} and {}, got {n}",
                    range.start(),
                    range.end()
                )),
                Err(_) => Err(format!(
                    "option \"{key}\" must be a whole number, got {}",
                    describe(&v)
                )),
            },
        }
    }

    /// A duration in seconds (a positive number, at most a day).
    pub(crate) fn secs(&mut self, key: &str) -> ArgResult<Option<f64>> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        let secs = v
            .as_float()
            .ok()
            .or_else(|| v.as_int().ok().map(|n| n as f64));
        match secs {
            Some(s) if s > 0.0 && s <= 86_400.0 => Ok(Some(s)),
            _ => Err(format!(
                "option \"{key}\" must be a number of seconds between 0 and 86400 (a day), got {}",
                describe(&v)
            )),
        }
    }

    /// A number option (whole or fractional) within `range`.
    pub(crate) fn number(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> ArgResult<Option<f64>> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        let n = v
            .as_int()
            .map(|i| i as f64)
            .or_else(|_| v.as_float())
            .map_err(|_| format!("option \"{key}\" must be a number, got {}", describe(&v)))?;
        if range.contains(&n) {
            Ok(Some(n))
        } else {
            Err(format!(
                "option \"{key}\" must be between {} and {}, got {n}",
                range.start(),
                range.end()
            ))
        }
    }

    /// A boolean option (false when absent).
    pub(crate) fn bool(&mut self, key: &str) -> ArgResult<bool> {
        match self.take(key) {
            None => Ok(false),
            Some(v) => v.as_bool().map_err(|_| {
                format!(
                    "option \"{key}\" must be true or false, got {}",
                    describe(&v)
                )
            }),
        }
    }

    /// A list of strings; a single string counts as a list of one.
    pub(crate) fn strings(&mut self, key: &str) -> ArgResult<Vec<String>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(v) if v.is_string() => Ok(vec![v.to_string()]),
            Some(v) => {
                let what = format!("option \"{key}\" must be an array of strings");
                let arr = v
                    .clone()
                    .try_cast::<Array>()
                    .ok_or_else(|| format!("{what}, got {}", describe(&v)))?;
                arr.iter()
                    .map(|item| {
                        item.clone()
                            .into_string()
                            .map_err(|_| format!("{what}, but one item is {}", describe(item)))
                    })
                    .collect()
            }
        }
    }

    /// A map of strings to strings (numbers and booleans are written out).
    pub(crate) fn string_map(&mut self, key: &str) -> ArgResult<Vec<(String, String)>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(v) => {
                let map = v.clone().try_cast::<Map>().ok_or_else(|| {
                    format!(
                        "option \"{key}\" must be a map of strings like #{{KEY: \"value\"}}, got {}",
                        describe(&v)
                    )
                })?;
                let mut pairs = Vec::new();
                for (k, val) in map {
                    if val.is_string() || val.is_int() || val.is_float() || val.is_bool() {
                        pairs.push((k.to_string(), val.to_string()));
                    } else {
                        return Err(format!(
                            "option \"{key}\": the value of \"{k}\" must be a string, got {}",
                            describe(&val)
                        ));
                    }
                }
                Ok(pairs)
            }
        }
    }

    /// A command: an array of strings, or a string split like a shell does.
    pub(crate) fn command(&mut self, key: &str) -> ArgResult<Option<Vec<String>>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => command_words(&format!("option \"{key}\""), &v).map(Some),
        }
    }

    /// Network references: one handle or name, or an array of them.
    pub(crate) fn networks(&mut self, key: &str) -> ArgResult<Vec<String>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(v) if v.is_array() => {
                let arr = v.cast::<Array>();
                if arr.is_empty() {
                    return Err(format!(
                        "option \"{key}\" is an empty array; leave it out for the default network"
                    ));
                }
                arr.iter()
                    .map(|n| network_ref(&format!("each item of option \"{key}\""), n))
                    .collect()
            }
            Some(v) => network_ref(&format!("option \"{key}\""), &v).map(|n| vec![n]),
        }
    }

    /// Published ports in `docker run -p` syntax.
    pub(crate) fn ports(&mut self, key: &str) -> ArgResult<Vec<PortMapping>> {
        let form = "an array of \"host:container\" strings like [\"8080:80\"]";
        let items = match self.take(key) {
            None => return Ok(Vec::new()),
            Some(v) if v.is_string() => vec![v],
            Some(v) => v
                .clone()
                .try_cast::<Array>()
                .ok_or_else(|| format!("option \"{key}\" must be {form}, got {}", describe(&v)))?,
        };
        let mut mappings = Vec::new();
        for item in items {
            let text = if item.is_int() {
                item.to_string()
            } else {
                item.clone().into_string().map_err(|_| {
                    format!(
                        "option \"{key}\" must be {form}, but one item is {}",
                        describe(&item)
                    )
                })?
            };
            let parsed = parse_publish(&text).map_err(|e| format!("option \"{key}\": {e}"))?;
            mappings.extend(parsed);
        }
        Ok(mappings)
    }
}

/// Words of a command given as an array or as a string to split shell-style.
pub(crate) fn command_words(what: &str, value: &Dynamic) -> ArgResult<Vec<String>> {
    let words = if value.is_string() {
        let text = value.to_string();
        shell_words::split(&text).map_err(|e| format!("{what}: cannot split {text:?}: {e}"))?
    } else if let Some(arr) = value.clone().try_cast::<Array>() {
        arr.iter()
            .map(|w| {
                if w.is_string() || w.is_int() || w.is_float() {
                    Ok(w.to_string())
                } else {
                    Err(format!(
                        "{what} must be an array of strings, but one item is {}",
                        describe(w)
                    ))
                }
            })
            .collect::<ArgResult<Vec<_>>>()?
    } else {
        return Err(format!(
            "{what} must be a string like \"sleep 60\" or an array like [\"sleep\", \"60\"], got {}",
            describe(value)
        ));
    };
    if words.is_empty() {
        return Err(format!("{what} is empty"));
    }
    Ok(words)
}

/// The valid option closest to a misspelt one, if any is close.
fn closest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| (strsim::damerau_levenshtein(key, v), *v))
        .filter(|(d, v)| *d <= 2.max(v.len() / 3))
        .min()
        .map(|(_, v)| v)
}

/// `network::create(name, opts)` → [`NetworkSpec`].
pub fn network_spec(name: &str, opts: Dynamic) -> ArgResult<NetworkSpec> {
    check_name("network name", name)?;
    let mut o = Options::new(opts, NETWORK_OPTIONS)?;
    let subnets = o.subnets("subnet")?;
    let spec = NetworkSpec {
        name: name.to_string(),
        driver: o.string("driver")?,
        subnet: subnets.first().cloned(),
        extra_subnets: subnets
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|s| (s.clone(), None))
            .collect(),
        gateway: o.string("gateway")?,
        ip_range: o.string("ip_range")?,
        internal: o.bool("internal")?,
        attachable: o.bool("attachable")?,
        ipv6: o.bool("ipv6")?,
        labels: o.string_map("labels")?.into_iter().collect(),
        options: o.string_map("options")?.into_iter().collect(),
    };
    if let Some(cidr) = &spec.ip_range {
        check_cidr("ip_range", cidr)?;
    }
    if let Some(gw) = &spec.gateway {
        gw.parse::<std::net::IpAddr>()
            .map_err(|_| format!("option \"gateway\": {gw:?} is not an IP address"))?;
    }
    Ok(spec)
}

/// `run(image, opts)` → [`RunSpec`].
pub fn run_spec(image: &str, opts: Dynamic) -> ArgResult<RunSpec> {
    if image.trim().is_empty() {
        return Err("the image name is empty; give one like \"busybox\"".into());
    }
    let mut o = Options::new(opts, RUN_OPTIONS)?;
    let name = o.string("name")?;
    if let Some(n) = &name {
        check_name("option \"name\"", n)?;
    }
    let (networks, endpoints) = o.run_networks("network")?;
    Ok(RunSpec {
        image: image.to_string(),
        name,
        networks,
        endpoints,
        ports: o.ports("ports")?,
        cmd: o.command("cmd")?,
        entrypoint: o.command("entrypoint")?,
        env: o.string_map("env")?,
        aliases: o.strings("aliases")?,
        hostname: o.string("hostname")?,
        labels: o
            .string_map("labels")?
            .into_iter()
            .collect::<HashMap<_, _>>(),
        cap_add: o.strings("cap_add")?,
        workdir: o.string("workdir")?,
        user: o.string("user")?,
        privileged: o.bool("privileged")?,
        init: o.bool("init")?,
        ..Default::default()
    })
}

/// `network::connect(net, ctr, opts)` options → [`ConnectSpec`].
pub fn connect_spec(opts: Dynamic) -> ArgResult<ConnectSpec> {
    let mut o = Options::new(opts, CONNECT_OPTIONS)?;
    let spec = ConnectSpec {
        aliases: o.strings("aliases")?,
        ip: o.string("ip")?,
    };
    if let Some(ip) = &spec.ip {
        ip.parse::<std::net::Ipv4Addr>()
            .map_err(|_| format!("option \"ip\": {ip:?} is not an IPv4 address"))?;
    }
    Ok(spec)
}

/// Docker's rule for container and network names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub(crate) fn check_name(what: &str, name: &str) -> ArgResult<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        return Err(format!(
            "{what} {name:?} is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or digit"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
