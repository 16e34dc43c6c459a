//! A bare actix-web server whose `GET /v1/lookup` returns a constant: the ceiling the real
//! lookup is measured against in bench/lookup.sh. Listens on the address in argv[1] and
//! answers the body in argv[2]: bench/lookup.sh passes the real service's answer to the
//! benchmark's query, byte for byte (the fixtures' answer depends on the date, so it is fetched
//! at the start of each run rather than written down here).
use actix_web::{App, HttpResponse, HttpServer, web};

async fn lookup(answer: web::Data<&'static str>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "max-age=3600"))
        .content_type("application/json")
        .body(*answer.get_ref())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".into());
    let answer: &'static str = std::env::args()
        .nth(2)
        .unwrap_or_else(|| r#"{"ok":true}"#.into())
        .leak();
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(answer))
            .route("/v1/lookup", web::get().to(lookup))
    })
    .bind(addr)?
    .run()
    .await
}
