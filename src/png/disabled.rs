//! A build without the cargo feature `png`: the same API as `enabled.rs`.
//! `--png` is refused with the other usage errors (`config`), so a
//! picture never gets here.

/// This build renders no PNG.
pub(crate) const ENABLED: bool = false;

/// Always the error that this build has no PNG renderer.
pub(crate) fn render(_svg: &str) -> anyhow::Result<Vec<u8>> {
    anyhow::bail!("this build has no PNG renderer: it was built without the cargo feature `png`")
}
