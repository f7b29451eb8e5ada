//! Subnets as scripts write them: one CIDR string, or an array of them for
//! a dual-stack network (`["10.1.0.0/24", "fd01::/64"]`), each checked with
//! an example of its own address family.

use super::convert::{ArgResult, Options, describe};

/// Checks that `cidr` is an address and a prefix length that fits it.
pub(crate) fn check_cidr(key: &str, cidr: &str) -> ArgResult<()> {
    let example = if cidr.contains(':') {
        "fd00:1::/64"
    } else {
        "10.10.0.0/24"
    };
    let bad = || format!("option \"{key}\": {cidr:?} is not a CIDR like \"{example}\"");
    let (addr, len) = cidr.split_once('/').ok_or_else(bad)?;
    let addr: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(format!(
            "option \"{key}\": prefix length /{len} is longer than /{max}"
        ));
    }
    Ok(())
}

impl Options {
    /// A subnet option: a CIDR string or an array of them, each checked.
    pub(crate) fn subnets(&mut self, key: &str) -> ArgResult<Vec<String>> {
        let what = format!(
            "option \"{key}\" must be a CIDR string or an array of them \
             (like [\"10.1.0.0/24\", \"fd00:1::/64\"] for IPv4 and IPv6)"
        );
        let subnets: Vec<String> = match self.take(key) {
            None => return Ok(Vec::new()),
            Some(v) if v.is_string() => vec![v.to_string()],
            Some(v) => {
                let items = v
                    .clone()
                    .try_cast::<rhai::Array>()
                    .ok_or_else(|| format!("{what}, got {}", describe(&v)))?;
                if items.is_empty() {
                    return Err(format!("{what}, got an empty array"));
                }
                items
                    .iter()
                    .map(|item| {
                        item.clone()
                            .into_string()
                            .map_err(|_| format!("{what}, but one item is {}", describe(item)))
                    })
                    .collect::<ArgResult<_>>()?
            }
        };
        for cidr in &subnets {
            check_cidr(key, cidr)?;
        }
        Ok(subnets)
    }
}

#[cfg(test)]
mod tests {
    use rhai::Engine;

    use super::super::convert::network_spec;

    fn spec(opts: &str) -> Result<crate::docker::spec::NetworkSpec, String> {
        network_spec("n", Engine::new().eval(opts).unwrap())
    }

    #[test]
    fn a_list_of_subnets_is_dual_stack() {
        let s = spec(r#"#{subnet: ["10.1.0.0/24", "fd01::/64"]}"#).unwrap();
        assert_eq!(s.subnet.as_deref(), Some("10.1.0.0/24"));
        assert_eq!(s.extra_subnets, vec![("fd01::/64".to_string(), None)]);
        let s = spec(r#"#{subnet: "fd01::/64"}"#).unwrap();
        assert_eq!(s.subnet.as_deref(), Some("fd01::/64"));
        assert!(s.extra_subnets.is_empty());
    }

    #[test]
    fn bad_subnets_say_what_is_wrong_with_an_example_of_their_family() {
        let err = |opts: &str| spec(opts).unwrap_err();
        assert!(
            err(r#"#{subnet: "fd01::/129"}"#).contains("prefix length /129 is longer than /128")
        );
        assert!(
            err(r#"#{subnet: "fd01:::1/64"}"#)
                .contains("\"fd01:::1/64\" is not a CIDR like \"fd00:1::/64\"")
        );
        assert!(err(r#"#{subnet: "10.1.0.0/33"}"#).contains("/33 is longer than /32"));
        let e = err(r#"#{subnet: ["10.1.0.0/24", 5]}"#);
        assert!(
            e.contains("option \"subnet\" must be a CIDR string or an array of them")
                && e.contains("one item is"),
            "{e}"
        );
        assert!(err(r#"#{subnet: []}"#).contains("an empty array"));
    }
}
