//! [`Cancel`]: how a running query learns that nobody waits for it any more. `archeo serve`
//! gives each query one with its time limit as the deadline, and cancels it when the client
//! goes away; the search scan checks it before each file version, so a query past its limit
//! stops within one file's scan and frees its slot and memory. The CLI's queries never cancel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A cancellation token: cancelled by [`Cancel::cancel`] or once its deadline passes. Clones
/// share the token.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    inner: Option<Arc<State>>,
}

#[derive(Debug)]
struct State {
    cancelled: AtomicBool,
    deadline: Option<Instant>,
}

/// Why a query stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Cancelled {
    /// Its deadline passed.
    #[error("the query was stopped: its time limit passed")]
    Deadline,
    /// Whoever asked no longer waits for the answer (the client went away).
    #[error("the query was stopped: nobody waits for its answer any more")]
    Abandoned,
}

impl Cancel {
    /// A token that never cancels (the CLI's).
    pub fn never() -> Cancel {
        Cancel::default()
    }

    /// A token cancelled at `deadline` (if any) or when [`Cancel::cancel`] is called.
    pub fn new(deadline: Option<Instant>) -> Cancel {
        Cancel {
            inner: Some(Arc::new(State {
                cancelled: AtomicBool::new(false),
                deadline,
            })),
        }
    }

    /// Cancels every clone of this token.
    pub fn cancel(&self) {
        if let Some(s) = &self.inner {
            s.cancelled.store(true, Ordering::Relaxed);
        }
    }

    /// `Err` once the token is cancelled or its deadline has passed.
    pub fn check(&self) -> Result<(), Cancelled> {
        let Some(s) = &self.inner else {
            return Ok(());
        };
        if s.cancelled.load(Ordering::Relaxed) {
            return Err(Cancelled::Abandoned);
        }
        if s.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Cancelled::Deadline);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_token_cancels_its_clones_and_at_its_deadline() {
        assert_eq!(Cancel::never().check(), Ok(()));
        let t = Cancel::new(None);
        let c = t.clone();
        assert_eq!(c.check(), Ok(()));
        t.cancel();
        assert_eq!(c.check(), Err(Cancelled::Abandoned));
        let past = Cancel::new(Some(Instant::now() - Duration::from_millis(1)));
        assert_eq!(past.check(), Err(Cancelled::Deadline));
        let later = Cancel::new(Some(Instant::now() + Duration::from_secs(60)));
        assert_eq!(later.check(), Ok(()));
    }
}
