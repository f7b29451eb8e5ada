//! The handles scripts hold for containers and networks: a name and an id,
//! with methods registered in `container.rs` and `network.rs`.

use std::fmt;

/// A container a script ran or looked up. Shown as `container web (3f2a1b2c4d5e)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerHandle {
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
}

/// A network a script created or looked up. Shown as `network my_net (9a8b7c6d5e4f)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkHandle {
    /// Network id.
    pub id: String,
    /// Network name.
    pub name: String,
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
