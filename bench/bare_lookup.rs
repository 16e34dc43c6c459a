//! A bare actix-web server whose `GET /v1/lookup` returns a constant: the ceiling the real
//! lookup is measured against in bench/lookup.sh. Listens on the address in argv[1].
use actix_web::{App, HttpResponse, HttpServer, web};

/// The real service's answer to the benchmark's query, byte for byte.
const ANSWER: &str = r#"{"ok":false,"locations":{"keepable":["loc-201","loc-202","loc-203"],"broken":["loc-101","loc-102"]},"items":{"keepable":["SUV-STD@loc-201","SUV-STD@loc-202","SUV-STD@loc-203","COMPACT@loc-201"],"broken":["SUV-STD@loc-101"]}}"#;

async fn lookup() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "max-age=3600"))
        .content_type("application/json")
        .body(ANSWER)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".into());
    HttpServer::new(|| App::new().route("/v1/lookup", web::get().to(lookup)))
        .bind(addr)?
        .run()
        .await
}
