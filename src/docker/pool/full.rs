//! What a request that the pool cannot meet says: the pool, who holds its
//! subnets, and how to widen it.

use std::fmt;

use super::SubnetPool;

/// Why a request could not be met, with what is needed to render a message
/// that names the pool and how to widen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoolFull {
    /// The pool.
    pub pool: SubnetPool,
    /// Subnets the run would hold at once with this request.
    pub needed: usize,
    /// Subnets the run holds already.
    pub held: usize,
    /// Subnets other runs of this process hold.
    pub held_here: usize,
    /// Subnets other netrig runs (other processes) hold.
    pub other_runs: usize,
    /// Subnets routes and foreign networks block for good.
    pub permanent: usize,
    /// A few of those, named.
    pub permanent_named: String,
}

impl PoolFull {
    /// Subnets the pool can ever give a run here.
    pub(crate) fn usable(&self) -> usize {
        self.pool.capacity().saturating_sub(self.permanent)
    }

    /// `--subnet-pool 10.213.0.0/21/24 (or NETRIG_SUBNET_POOL=…)`, or
    /// smaller subnets when no wider range would do.
    pub(crate) fn how_to_widen(&self) -> String {
        let wanted = self.needed + self.permanent + self.other_runs + self.held_here;
        let suggestion = self.pool.widened_for(wanted).or_else(|| {
            let finer = (self.pool.prefix() + 2).min(super::MAX_SUBNET_PREFIX);
            SubnetPool::new(self.pool.range(), finer)
                .ok()
                .filter(|p| p.capacity() >= wanted)
        });
        match suggestion {
            Some(p) => format!(
                "widen the pool with --subnet-pool {p} (or NETRIG_SUBNET_POOL={p}), or give networks an explicit `subnet`"
            ),
            None => "give networks an explicit `subnet`".to_string(),
        }
    }

    fn blocked_for_good(&self) -> String {
        match self.permanent {
            0 => String::new(),
            n => format!(
                "; {n} of its {} are taken for good by {}",
                self.pool.capacity(),
                self.permanent_named
            ),
        }
    }
}

/// The message for [`Decision::TooBig`].
pub(crate) struct TooBigMessage<'a>(pub(crate) &'a PoolFull);

impl fmt::Display for TooBigMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.0;
        write!(
            f,
            "this run needs {} subnets at once from netrig's subnet pool {}, which has only {} for it{}: {}",
            p.needed,
            p.pool,
            p.usable(),
            p.blocked_for_good(),
            p.how_to_widen()
        )
    }
}

/// The message for [`Decision::Full`].
pub(crate) struct FullMessage<'a>(pub(crate) &'a PoolFull);

impl fmt::Display for FullMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.0;
        let mut users = vec![format!("{} by this run", p.held)];
        if p.held_here > 0 {
            users.push(format!("{} by other runs of this netrig", p.held_here));
        }
        if p.other_runs > 0 {
            users.push(format!("{} by other netrig runs", p.other_runs));
        }
        if p.permanent > 0 {
            users.push(format!("{} by {}", p.permanent, p.permanent_named));
        }
        write!(
            f,
            "no free subnet in netrig's subnet pool {} ({} subnets: {}): {}",
            p.pool,
            p.pool.capacity(),
            users.join(", "),
            p.how_to_widen()
        )
    }
}
