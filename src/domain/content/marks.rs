//! The `data-promise-*` attributes (and `href`) of one element, as the walk reads them.

/// The attributes the walk reads, found in one pass over an element's attributes (asking for
/// each by name would intern the name in the parser's atom table, under its lock, every time).
#[derive(Default)]
pub(super) struct Marks<'e> {
    pub href: Option<&'e str>,
    pub offer: Option<&'e str>,
    pub title: Option<&'e str>,
    pub location: Option<&'e str>,
    pub sku: Option<&'e str>,
    pub quantity: Option<&'e str>,
    pub valid_from: Option<&'e str>,
    pub valid_until: Option<&'e str>,
}

impl<'e> Marks<'e> {
    pub fn of(element: &'e scraper::node::Element) -> Self {
        let mut marks = Marks::default();
        for (name, value) in element.attrs() {
            let slot = match name {
                "href" => &mut marks.href,
                "data-promise-offer" => &mut marks.offer,
                "data-promise-title" => &mut marks.title,
                "data-promise-location" => &mut marks.location,
                "data-promise-sku" => &mut marks.sku,
                "data-promise-quantity" => &mut marks.quantity,
                "data-promise-valid-from" => &mut marks.valid_from,
                "data-promise-valid-until" => &mut marks.valid_until,
                _ => continue,
            };
            *slot = Some(value.trim());
        }
        marks
    }
}
