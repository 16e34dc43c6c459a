//! Rebuilds when what the binary embeds from outside `src/` changes: a survey catalog under
//! `locales/` (`src/i18n`; a new language's folder is otherwise not noticed) or a migration
//! under `migrations/` (`sqlx::migrate!` reads the folder at compile time and would otherwise
//! keep the files it saw last).
fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=migrations");
}
