//! `archeo pins`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};
use crate::report::tables::Pins;

/// Flags of `archeo pins`.
#[derive(Args, Debug)]
pub struct PinsArgs {
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: PinsArgs) -> Result<Found> {
    let pins = Pins(ctx.lock()?.pins());
    crate::report::print(&pins, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!pins.0.is_empty()))
}
