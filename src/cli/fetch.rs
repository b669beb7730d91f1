//! `archeo fetch`.

use std::cell::RefCell;

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};
use crate::source::fetch::{Event, FetchOptions, Observer};
use crate::source::git::FetchProgress;
use crate::source::lock::Lock;
use crate::source::manifest::RepoSpec;

/// Flags of `archeo fetch`.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Accept tags that now point to other commits than the lock records.
    #[arg(long)]
    pub update: bool,
    /// Fetch only what the lock names and fail if manifest and lock disagree; never change the lock.
    #[arg(long)]
    pub locked: bool,
    /// Use no network: resolve revs from the cache only.
    #[arg(long)]
    pub offline: bool,
    /// Print what is pinned after fetching (like `archeo pins`).
    #[arg(long)]
    pub list: bool,
}

pub(super) fn run(ctx: &Context, a: FetchArgs) -> Result<Found> {
    let manifest = ctx.manifest()?;
    let old = match Lock::read(&ctx.lock_path) {
        // The way out of a damaged lock: --update pins from the manifest alone.
        Err(e @ crate::error::FileError::Invalid { .. }) if a.update && !a.locked => {
            ctx.ui.warn(format!(
                "{e}\nignoring it: --update pins every revision from the manifest"
            ));
            None
        }
        other => other?,
    };
    let opts = FetchOptions {
        update: a.update,
        locked: a.locked,
        offline: a.offline,
    };
    let ui = ctx.ui;
    let lock = observing(ui, |obs| {
        crate::source::fetch::fetch_all(&manifest, &ctx.cache_dir, old.as_ref(), opts, obs)
    })?;
    if !opts.locked {
        if old.as_ref() == Some(&lock) {
            ui.detail(format!("{} unchanged", ctx.lock_path.display()));
        } else {
            lock.write(&ctx.lock_path)?;
            ui.info(format!("wrote {}", ctx.lock_path.display()));
        }
    }
    if a.list {
        super::pins::run(
            ctx,
            super::pins::PinsArgs {
                format: Format::Text,
            },
        )?;
    }
    Ok(Found::Yes)
}

/// Runs `f` with a fetch observer that shows a live spinner per repository and prints fetch
/// events as notes (warnings for moved tags, repairs and gaps).
pub(super) fn observing<T>(ui: crate::ui::Ui, f: impl FnOnce(&mut Observer) -> T) -> T {
    let live = FetchProgress::new();
    let spinner = RefCell::new(None);
    let mut on_event = |ev: &Event| {
        spinner.borrow_mut().take();
        if ev.is_warning() {
            ui.warn(ev.to_string());
        } else {
            ui.info(ev.to_string());
        }
    };
    let mut on_start = |spec: &RepoSpec| {
        let status = live.clone();
        *spinner.borrow_mut() = Some(ui.live_spinner(
            format!("fetching {} ({})", spec.name, spec.url),
            format!("fetching {}", spec.name),
            move || status.lines(),
        ));
    };
    let mut obs = Observer {
        on_event: &mut on_event,
        on_start: &mut on_start,
        progress: &live,
    };
    let out = f(&mut obs);
    spinner.borrow_mut().take();
    out
}
