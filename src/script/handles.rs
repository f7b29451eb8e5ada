//! The handles scripts hold for containers and networks: a name, an id, and
//! the daemon the resource lives on, so a call with a handle goes there
//! (routing is a field, not a search).

use std::fmt;
use std::sync::Arc;

use rhai::Engine;

use super::context::ScriptContext;

/// A container a script ran or looked up. Shown as `container web (3f2a1b2c4d5e)`.
#[derive(Clone)]
pub(crate) struct ContainerHandle {
    /// Container id.
    pub(crate) id: String,
    /// Container name, as the script knows it.
    pub(crate) name: String,
    daemon: Option<Arc<ScriptContext>>,
}

/// A network a script created or looked up. Shown as `network my_net (9a8b7c6d5e4f)`.
#[derive(Clone)]
pub(crate) struct NetworkHandle {
    /// Network id.
    pub(crate) id: String,
    /// Network name, as the script knows it.
    pub(crate) name: String,
    daemon: Option<Arc<ScriptContext>>,
    /// The subnet and gateway it got when this run created it (from
    /// netrig's pool, or the ones asked for); `None` for one found by name.
    addresses: Option<(String, Option<String>)>,
}

impl ContainerHandle {
    /// The handle of a container on the daemon `daemon` talks to.
    pub(crate) fn new(id: String, name: String, daemon: Arc<ScriptContext>) -> Self {
        ContainerHandle {
            id,
            name,
            daemon: Some(daemon),
        }
    }

    /// A handle that belongs to no daemon in particular (tests of the REPL's
    /// display): calls with it run wherever they are made.
    #[cfg(test)]
    pub(crate) fn detached(id: &str, name: &str) -> Self {
        ContainerHandle {
            id: id.into(),
            name: name.into(),
            daemon: None,
        }
    }

    /// The context of the daemon the container lives on.
    pub(crate) fn daemon(&self) -> Option<&Arc<ScriptContext>> {
        self.daemon.as_ref()
    }
}

impl NetworkHandle {
    /// The handle of a network on the daemon `daemon` talks to.
    pub(crate) fn new(id: String, name: String, daemon: Arc<ScriptContext>) -> Self {
        NetworkHandle {
            id,
            name,
            daemon: Some(daemon),
            addresses: None,
        }
    }

    /// The same handle, knowing the subnet and gateway its network got.
    pub(crate) fn with_addresses(
        mut self,
        subnet: Option<String>,
        gateway: Option<String>,
    ) -> Self {
        self.addresses = subnet.map(|s| (s, gateway));
        self
    }

    /// A handle that belongs to no daemon in particular (tests of the REPL's
    /// display).
    #[cfg(test)]
    pub(crate) fn detached(id: &str, name: &str) -> Self {
        NetworkHandle {
            id: id.into(),
            name: name.into(),
            daemon: None,
            addresses: None,
        }
    }

    /// The context of the daemon the network lives on.
    pub(crate) fn daemon(&self) -> Option<&Arc<ScriptContext>> {
        self.daemon.as_ref()
    }
}

/// The daemon a script value belongs to, when it is a container or network
/// handle: a call whose first argument is one runs there.
pub(crate) fn home_of(value: &rhai::Dynamic) -> Option<Arc<ScriptContext>> {
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        return h.daemon.clone();
    }
    if let Some(h) = value.read_lock::<NetworkHandle>() {
        return h.daemon.clone();
    }
    None
}

/// Registers the handle types with their names and properties.
pub(crate) fn register_types(engine: &mut Engine) {
    engine
        .register_type_with_name::<ContainerHandle>("Container")
        .register_get("name", |h: &mut ContainerHandle| h.name.clone())
        .register_get("id", |h: &mut ContainerHandle| h.id.clone())
        .register_fn("to_string", |h: &mut ContainerHandle| h.to_string())
        .register_fn("to_debug", |h: &mut ContainerHandle| h.to_string())
        .register_fn("print", |h: &mut ContainerHandle| {
            summary(rhai::Dynamic::from(h.clone()), h.daemon())
        });
    engine
        .register_type_with_name::<NetworkHandle>("Network")
        .register_get("name", |h: &mut NetworkHandle| h.name.clone())
        .register_get("id", |h: &mut NetworkHandle| h.id.clone())
        // What `network::create` got: `net.subnet` → "10.213.4.0/24",
        // `net.gateway` → "10.213.4.1"; `()` for a network found by name.
        .register_get("subnet", |h: &mut NetworkHandle| {
            h.addresses
                .as_ref()
                .map_or(rhai::Dynamic::UNIT, |(s, _)| s.clone().into())
        })
        .register_get("gateway", |h: &mut NetworkHandle| {
            h.addresses
                .as_ref()
                .and_then(|(_, g)| g.clone())
                .map_or(rhai::Dynamic::UNIT, rhai::Dynamic::from)
        })
        .register_fn("to_string", |h: &mut NetworkHandle| h.to_string())
        .register_fn("to_debug", |h: &mut NetworkHandle| h.to_string())
        .register_fn("print", |h: &mut NetworkHandle| {
            summary(rhai::Dynamic::from(h.clone()), h.daemon())
        });
}

/// `print(web)` in a script: the one-line summary the REPL shows (state,
/// networks with addresses, published ports), in the script's names.
fn summary(value: rhai::Dynamic, home: Option<&Arc<ScriptContext>>) -> String {
    let Some(cx) = home else {
        return value.to_string();
    };
    let daemon = crate::repl::live::Daemon::new(cx.runtime.clone(), cx.client().clone());
    let text = crate::repl::display::render(&value, false, &daemon).unwrap_or_default();
    cx.session.names().script_text(&text)
}

/// Two handles are the same resource when id and name agree.
impl PartialEq for ContainerHandle {
    fn eq(&self, other: &Self) -> bool {
        (&self.id, &self.name) == (&other.id, &other.name)
    }
}

impl PartialEq for NetworkHandle {
    fn eq(&self, other: &Self) -> bool {
        (&self.id, &self.name) == (&other.id, &other.name)
    }
}

impl fmt::Display for ContainerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "container {} ({})",
            self.name,
            crate::text::short_id(&self.id)
        )
    }
}

impl fmt::Display for NetworkHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "network {} ({})",
            self.name,
            crate::text::short_id(&self.id)
        )
    }
}

impl fmt::Debug for ContainerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for NetworkHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
