//! `runtime merge --out DIR SHARD_DIR...`: the shards of one predict, vep or links job into the files
//! one unsharded run writes.

use std::path::PathBuf;

use clap::Args;

use crate::merge::merge;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime merge --out pred pred.shards/1 pred.shards/2 pred.shards/3
  runtime merge --out vep vep.shards/*")]
pub struct MergeArgs {
    /// Directory for the merged outputs (not one of the shards).
    #[arg(long)]
    pub out: PathBuf,
    /// The output directories of shards 1..n (`--shard k/n`) of one job, in any order.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
}

pub fn run(a: MergeArgs) -> anyhow::Result<()> {
    let s = merge(&a.shards, &a.out)?;
    println!("merged {} {} shards ({} genes) → {}", s.shards, s.kind, s.genes, a.out.display());
    for f in &s.files {
        println!("  {}", f.display());
    }
    Ok(())
}
