//! Rebuilds when a survey catalog under `locales/` is added or changed: the catalogs are
//! embedded in the binary (`src/i18n`), and a new language's folder is otherwise not noticed.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
