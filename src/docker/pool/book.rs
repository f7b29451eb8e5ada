//! The pool's book: which subnets this process holds and for which run,
//! which runs wait for more, and what a request gets when the pool is full.
//!
//! Pure and synchronous; the allocator (`alloc.rs`) keeps one book per
//! daemon behind a lock and does the waiting. A request is answered with a
//! [`Decision`]:
//! - subnets are free: they are leased to the run at once (a batch gets all
//!   it asked for or none, so two batches never each hold half);
//! - the run alone needs more than the pool can ever give (its own subnets
//!   plus those asked for exceed the pool less what routes and foreign
//!   networks block for good): `TooBig`, whatever the policy;
//! - none free now: `netrig run` fails (`Full`); `netrig test` waits until
//!   another scenario's teardown gives some back (`Wait`).
//!
//! Waiting scenarios can block each other: two that each hold half the pool
//! and each want one more. When every run that holds subnets is waiting,
//! [`Book::victim`] names the youngest of them; the harness stops it,
//! tears it down (freeing its subnets for the others) and runs it again
//! later with [`Book::reserve`] of everything it held at once, so the same
//! wait cannot happen to it twice.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

use super::SubnetPool;
pub(crate) use super::full::{FullMessage, PoolFull, TooBigMessage};
use super::occupancy::Occupancy;

/// What a request does when no subnet is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// Fail with [`Decision::Full`] (`netrig run`, the REPL: no one here
    /// will give subnets back).
    #[default]
    Fail,
    /// Wait for a release (`netrig test`: another scenario's teardown).
    Wait,
}

/// The answer to a request for subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// These subnets are now leased to the run, in pool order.
    Take(Vec<Ipv4Net>),
    /// None free now: wait for a release and ask again.
    Wait,
    /// None free now, and the policy is not to wait.
    Full(PoolFull),
    /// The run alone needs more than the pool can ever give.
    TooBig(PoolFull),
    /// The run was chosen to give its subnets back so that others can go
    /// on; it is to stop and be run again.
    Evicted,
}

#[derive(Debug, Clone, Default)]
struct Run {
    /// Order of first request: lower is older.
    order: u64,
    /// Leased but not used yet (reserved for a rerun).
    spare: Vec<Ipv4Net>,
    /// Subnets asked for while waiting.
    waiting: Option<usize>,
    evicted: bool,
    /// The most subnets it held and asked for at once.
    peak: usize,
}

/// What a run's end tells the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Released {
    /// It was evicted: run it again.
    pub evicted: bool,
    /// The most subnets it held or asked for at once: reserve that many
    /// before running it again.
    pub peak: usize,
}

/// The subnets of one pool this process holds, per run.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pool: SubnetPool,
    leases: BTreeMap<Ipv4Net, String>,
    runs: BTreeMap<String, Run>,
    next_order: u64,
}

impl Book {
    /// An empty book for `pool`.
    pub(crate) fn new(pool: SubnetPool) -> Book {
        Book {
            pool,
            leases: BTreeMap::new(),
            runs: BTreeMap::new(),
            next_order: 0,
        }
    }

    /// The pool.
    pub(crate) fn pool(&self) -> &SubnetPool {
        &self.pool
    }

    /// Every subnet leased to any run of this process.
    pub(crate) fn leased(&self) -> BTreeSet<Ipv4Net> {
        self.leases.keys().copied().collect()
    }

    /// Subnets leased to `run` (spare ones included).
    pub(crate) fn held_by(&self, run: &str) -> usize {
        self.leases.values().filter(|r| *r == run).count()
    }

    /// Runs waiting for subnets now.
    pub(crate) fn waiting(&self) -> usize {
        self.runs.values().filter(|r| r.waiting.is_some()).count()
    }

    fn run_mut(&mut self, run: &str) -> &mut Run {
        if !self.runs.contains_key(run) {
            let order = self.next_order;
            self.next_order += 1;
            self.runs.insert(
                run.to_string(),
                Run {
                    order,
                    ..Run::default()
                },
            );
        }
        self.runs.get_mut(run).expect("inserted above")
    }

    /// Asks for `n` subnets for `run` (a batch asks for all of its networks
    /// at once). `occupancy` is the daemon's and the host's view, fresh.
    pub(crate) fn request(
        &mut self,
        run: &str,
        n: usize,
        occupancy: &Occupancy,
        when: WhenFull,
    ) -> Decision {
        self.ask(run, n, occupancy, when, false)
    }

    /// Leases `n` subnets to `run` ahead of use: its next requests take
    /// these first. For a run that is started again after an eviction.
    pub(crate) fn reserve(
        &mut self,
        run: &str,
        n: usize,
        occupancy: &Occupancy,
        when: WhenFull,
    ) -> Decision {
        self.ask(run, n, occupancy, when, true)
    }

    fn ask(
        &mut self,
        run: &str,
        n: usize,
        occupancy: &Occupancy,
        when: WhenFull,
        spare: bool,
    ) -> Decision {
        let held = self.held_by(run);
        let state = self.run_mut(run);
        if state.evicted {
            return Decision::Evicted;
        }
        let from_spare: Vec<Ipv4Net> = if spare {
            Vec::new()
        } else {
            let k = n.min(state.spare.len());
            state.spare.drain(..k).collect()
        };
        let in_use = held - state.spare.len() - from_spare.len();
        let needed = in_use + n;
        state.peak = state.peak.max(needed);
        let need = n - from_spare.len();
        let free: Vec<Ipv4Net> = self
            .pool
            .subnets()
            .filter(|s| !self.leases.contains_key(s) && !occupancy.is_blocked(s))
            .take(need)
            .collect();
        let full = |book: &Book| PoolFull {
            pool: book.pool,
            needed,
            held: in_use,
            held_here: book.leases.len() - held,
            other_runs: occupancy.transient(),
            permanent: occupancy.permanent(),
            permanent_named: occupancy.describe_permanent(3),
        };
        if needed > self.pool.capacity().saturating_sub(occupancy.permanent()) {
            let answer = full(self);
            self.give_back(run, from_spare);
            return Decision::TooBig(answer);
        }
        if free.len() < need {
            let answer = full(self);
            self.give_back(run, from_spare);
            return match when {
                WhenFull::Fail => Decision::Full(answer),
                WhenFull::Wait => {
                    self.run_mut(run).waiting = Some(n);
                    Decision::Wait
                }
            };
        }
        for s in &free {
            self.leases.insert(*s, run.to_string());
        }
        let state = self.run_mut(run);
        state.waiting = None;
        if spare {
            state.spare.extend(free.iter().copied());
            Decision::Take(free)
        } else {
            let mut all = from_spare;
            all.extend(free);
            all.sort();
            Decision::Take(all)
        }
    }

    fn give_back(&mut self, run: &str, spare: Vec<Ipv4Net>) {
        let state = self.run_mut(run);
        let mut all = spare;
        all.append(&mut state.spare);
        all.sort();
        state.spare = all;
    }

    /// `run` stopped waiting (it was interrupted or timed out).
    pub(crate) fn stop_waiting(&mut self, run: &str) {
        if let Some(r) = self.runs.get_mut(run) {
            r.waiting = None;
        }
    }

    /// Leases to `run` the pool's subnets that an explicit `subnet` of its
    /// overlaps, so this process picks none of them meanwhile. Subnets
    /// already leased stay with their run (the daemon will refuse one of
    /// the two networks, as it would without netrig).
    pub(crate) fn note_explicit(&mut self, run: &str, subnet: Ipv4Net) {
        self.run_mut(run);
        for s in self.pool.subnets_overlapping(subnet) {
            self.leases.entry(s).or_insert_with(|| run.to_string());
        }
    }

    /// Frees the leases within `net`: its network was removed, or the
    /// daemon refused it.
    pub(crate) fn release(&mut self, net: Ipv4Net) {
        let gone: Vec<Ipv4Net> = self
            .pool
            .subnets_overlapping(net)
            .filter(|s| self.leases.contains_key(s))
            .collect();
        for s in gone {
            if let Some(run) = self.leases.remove(&s)
                && let Some(r) = self.runs.get_mut(&run)
            {
                r.spare.retain(|x| *x != s);
            }
        }
    }

    /// Whether `run` was evicted, and its peak demand so far.
    pub(crate) fn status(&self, run: &str) -> Released {
        self.runs
            .get(run)
            .map(|r| Released {
                evicted: r.evicted,
                peak: r.peak,
            })
            .unwrap_or_default()
    }

    /// The run ended and its teardown finished: frees all it held.
    pub(crate) fn release_run(&mut self, run: &str) -> Released {
        self.leases.retain(|_, r| r != run);
        self.runs
            .remove(run)
            .map(|r| Released {
                evicted: r.evicted,
                peak: r.peak,
            })
            .unwrap_or_default()
    }

    /// When no run can go on — every run that holds subnets is waiting for
    /// more, and at least two runs wait — the youngest waiting run that
    /// holds any: evicting it frees subnets for the older ones.
    pub(crate) fn victim(&self) -> Option<String> {
        let holds = |name: &str| self.leases.values().any(|r| r == name);
        let waiting = self.runs.values().filter(|r| r.waiting.is_some()).count();
        let all_holders_wait = self
            .runs
            .iter()
            .filter(|(name, _)| holds(name))
            .all(|(_, r)| r.waiting.is_some());
        if waiting < 2 || !all_holders_wait {
            return None;
        }
        self.runs
            .iter()
            .filter(|(name, r)| r.waiting.is_some() && holds(name))
            .max_by_key(|(_, r)| r.order)
            .map(|(name, _)| name.clone())
    }

    /// Marks `run` evicted: its pending and later requests answer
    /// [`Decision::Evicted`] until [`Book::release_run`].
    pub(crate) fn evict(&mut self, run: &str) {
        let r = self.run_mut(run);
        r.evicted = true;
        r.waiting = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn book(pool: &str) -> Book {
        Book::new(pool.parse().unwrap())
    }

    fn taken(d: Decision) -> Vec<String> {
        match d {
            Decision::Take(v) => v.iter().map(|n| n.to_string()).collect(),
            other => panic!("expected Take, got {other:?}"),
        }
    }

    const NONE: Occupancy = Occupancy {
        blocked: BTreeMap::new(),
    };

    #[test]
    fn requests_take_the_lowest_free_subnets() {
        let mut b = book("10.213.0.0/22");
        let mut occ = Occupancy::default();
        occ.refused(v4("10.213.0.0/24"));
        assert_eq!(
            taken(b.request("a", 1, &occ, WhenFull::Fail)),
            ["10.213.1.0/24"]
        );
        assert_eq!(
            taken(b.request("b", 2, &occ, WhenFull::Fail)),
            ["10.213.2.0/24", "10.213.3.0/24"]
        );
        assert_eq!(b.held_by("b"), 2);
        b.release(v4("10.213.2.0/24"));
        assert_eq!(
            taken(b.request("a", 1, &occ, WhenFull::Fail)),
            ["10.213.2.0/24"]
        );
    }

    #[test]
    fn a_full_pool_fails_a_run_and_names_who_holds_it() {
        let mut b = book("10.213.0.0/22");
        taken(b.request("a", 3, &NONE, WhenFull::Fail));
        taken(b.request("other", 1, &NONE, WhenFull::Fail));
        let Decision::Full(full) = b.request("a", 1, &NONE, WhenFull::Fail) else {
            panic!("expected Full");
        };
        assert_eq!(
            FullMessage(&full).to_string(),
            "no free subnet in netrig's subnet pool 10.213.0.0/22/24 (4 subnets: 3 by this run, 1 by other runs of this netrig): widen the pool with --subnet-pool 10.213.0.0/21/24 (or NETRIG_SUBNET_POOL=10.213.0.0/21/24), or give networks an explicit `subnet`"
        );
    }

    #[test]
    fn a_run_that_needs_more_than_the_pool_is_too_big_even_when_waiting() {
        let mut b = book("10.213.0.0/22");
        let mut occ = Occupancy::default();
        occ.blocked.insert(
            v4("10.213.3.0/24"),
            super::super::occupancy::Blocker::Route {
                net: v4("10.213.3.0/24"),
                iface: "wg0".into(),
            },
        );
        taken(b.request("a", 2, &occ, WhenFull::Wait));
        let Decision::TooBig(big) = b.request("a", 2, &occ, WhenFull::Wait) else {
            panic!("expected TooBig");
        };
        assert_eq!(
            TooBigMessage(&big).to_string(),
            "this run needs 4 subnets at once from netrig's subnet pool 10.213.0.0/22/24, which has only 3 for it; 1 of its 4 are taken for good by the host's route to 10.213.3.0/24 via wg0: widen the pool with --subnet-pool 10.213.0.0/21/24 (or NETRIG_SUBNET_POOL=10.213.0.0/21/24), or give networks an explicit `subnet`"
        );
        // A batch larger than the whole pool, asked at once.
        let mut b = book("10.213.0.0/22");
        assert!(matches!(
            b.request("x", 5, &NONE, WhenFull::Wait),
            Decision::TooBig(_)
        ));
    }

    #[test]
    fn a_waiting_run_gets_what_a_teardown_gives_back() {
        let mut b = book("10.213.0.0/22");
        taken(b.request("a", 2, &NONE, WhenFull::Wait));
        taken(b.request("b", 2, &NONE, WhenFull::Wait));
        assert_eq!(b.request("c", 2, &NONE, WhenFull::Wait), Decision::Wait);
        assert_eq!(b.waiting(), 1);
        // One waiter is no deadlock: a and b are running.
        assert_eq!(b.victim(), None);
        assert_eq!(
            b.release_run("a"),
            Released {
                evicted: false,
                peak: 2
            }
        );
        assert_eq!(
            taken(b.request("c", 2, &NONE, WhenFull::Wait)),
            ["10.213.0.0/24", "10.213.1.0/24"]
        );
        assert_eq!(b.waiting(), 0);
    }

    #[test]
    fn runs_that_block_each_other_lose_the_youngest() {
        let mut b = book("10.213.0.0/22");
        taken(b.request("old", 2, &NONE, WhenFull::Wait));
        taken(b.request("young", 2, &NONE, WhenFull::Wait));
        assert_eq!(b.request("old", 1, &NONE, WhenFull::Wait), Decision::Wait);
        assert_eq!(b.victim(), None, "young is still running");
        assert_eq!(b.request("young", 1, &NONE, WhenFull::Wait), Decision::Wait);
        assert_eq!(b.victim().as_deref(), Some("young"));
        b.evict("young");
        assert_eq!(
            b.request("young", 1, &NONE, WhenFull::Wait),
            Decision::Evicted
        );
        let gone = b.release_run("young");
        assert_eq!(
            gone,
            Released {
                evicted: true,
                peak: 3
            }
        );
        assert_eq!(taken(b.request("old", 1, &NONE, WhenFull::Wait)).len(), 1);

        // Run again: it reserves all it needed at once, then uses that.
        b.release_run("old");
        assert_eq!(
            taken(b.reserve("young2", gone.peak, &NONE, WhenFull::Wait)).len(),
            3
        );
        assert_eq!(
            taken(b.request("young2", 2, &NONE, WhenFull::Wait)).len(),
            2
        );
        assert_eq!(
            taken(b.request("young2", 1, &NONE, WhenFull::Wait)).len(),
            1
        );
        assert_eq!(b.held_by("young2"), 3);
        assert!(matches!(
            b.request("young2", 2, &NONE, WhenFull::Wait),
            Decision::TooBig(_)
        ));
    }

    #[test]
    fn waiters_that_hold_nothing_are_no_deadlock() {
        let mut b = book("10.213.0.0/23");
        taken(b.request("a", 2, &NONE, WhenFull::Wait));
        assert_eq!(b.request("b", 1, &NONE, WhenFull::Wait), Decision::Wait);
        assert_eq!(b.request("c", 1, &NONE, WhenFull::Wait), Decision::Wait);
        assert_eq!(b.victim(), None, "a runs and will give its subnets back");
        b.stop_waiting("b");
        assert_eq!(b.waiting(), 1);
    }

    #[test]
    fn an_explicit_subnet_in_the_pool_is_not_handed_out() {
        let mut b = book("10.213.0.0/22");
        b.note_explicit("a", v4("10.213.0.128/25"));
        assert_eq!(
            taken(b.request("b", 1, &NONE, WhenFull::Fail)),
            ["10.213.1.0/24"]
        );
        b.release(v4("10.213.0.128/25"));
        assert_eq!(
            taken(b.request("b", 1, &NONE, WhenFull::Fail)),
            ["10.213.0.0/24"]
        );
    }
}
