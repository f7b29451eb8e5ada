//! The topology as an SVG picture, laid out in-process by layout-rs (no
//! Graphviz needed): networks on top as square blue boxes, containers below
//! as rounded yellow boxes, each attachment a line labelled with the address.
//!
//! Each node's box sits in a `<g class="network|container" data-name="…">`
//! and each line in a `<g class="attachment" data-network="…"
//! data-container="…">`, so tools (and the tests) can find them.

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::{container_lines, network_lines};
use crate::docker::topology::Topology;

const NODE_FONT: usize = 14;
const EDGE_FONT: usize = 12;
/// Average glyph width of a sans-serif font, in ems; layout-rs assumes a
/// full em per character, which makes boxes twice as wide as their text.
const GLYPH_WIDTH: f64 = 0.62;
const PADDING: f64 = 12.0;
/// layout-rs's rank and crossing optimisers make the picture readable but
/// grow steeply with size (release build here: 7 edges 1 ms, 54 edges
/// 131 ms, 100 edges 2.2 s, 200 edges 5.9 s); past this many attachments
/// the picture is laid out without them (200 edges: 72 ms).
const OPTIMIZED_LAYOUT_MAX_EDGES: usize = 100;
/// Space kept around the drawing.
const MARGIN: f64 = 8.0;

/// An SVG document for `topology`.
pub(crate) fn render(topology: &Topology) -> String {
    if topology.is_empty() {
        return empty();
    }
    let orientation = Orientation::TopToBottom;
    let mut graph = VisualGraph::new(orientation);
    let network_look = StyleAttr::new(
        Color::fast("#1d4ed8"),
        2,
        Some(Color::fast("#dbeafe")),
        0,
        NODE_FONT,
    );
    let external_look = StyleAttr::new(
        Color::fast("#64748b"),
        1,
        Some(Color::fast("#f1f5f9")),
        0,
        NODE_FONT,
    );
    let container_look = StyleAttr::new(
        Color::fast("#a16207"),
        1,
        Some(Color::fast("#fef9c3")),
        12,
        NODE_FONT,
    );
    let edge_look = StyleAttr::new(Color::fast("#475569"), 1, None, 0, EDGE_FONT);

    let mut networks = std::collections::HashMap::new();
    for n in &topology.networks {
        let lines = network_lines(n);
        let look = if n.external {
            &external_look
        } else {
            &network_look
        };
        let class = if n.external {
            "network external"
        } else {
            "network"
        };
        let element = Element::create_with_properties(
            ShapeKind::new_box(&lines.join("\n")),
            look.clone(),
            orientation,
            box_size(&lines),
            format!("class=\"{class}\" data-name=\"{}\"", attr(&n.name)),
        );
        networks.insert(n.name.as_str(), graph.add_node(element));
    }
    let mut containers = std::collections::HashMap::new();
    for c in &topology.containers {
        let lines = container_lines(c);
        let element = Element::create_with_properties(
            ShapeKind::new_box(&lines.join("\n")),
            container_look.clone(),
            orientation,
            box_size(&lines),
            format!("class=\"container\" data-name=\"{}\"", attr(&c.name)),
        );
        containers.insert(c.name.as_str(), graph.add_node(element));
    }
    for a in &topology.attachments {
        let (Some(&from), Some(&to)) = (
            networks.get(a.network.as_str()),
            containers.get(a.container.as_str()),
        ) else {
            continue;
        };
        // The address becomes a label node halfway down the line.
        let mut arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::None,
            LineStyleKind::Normal,
            &a.ip,
            &edge_look,
            &None,
            &None,
        );
        arrow.properties = Some(format!(
            "class=\"attachment\" data-network=\"{}\" data-container=\"{}\"",
            attr(&a.network),
            attr(&a.container)
        ));
        graph.add_edge(arrow, from, to);
    }
    let mut canvas = Canvas::default();
    let skip_crossing_optimizer = topology.attachments.len() > OPTIMIZED_LAYOUT_MAX_EDGES;
    graph.do_it(false, skip_crossing_optimizer, false, &mut canvas);
    canvas.finish()
}

/// layout-rs's SVG writer with fixes for legibility: address labels are
/// drawn last, on a white patch, so lines do not run through them; the
/// picture is cropped to what is drawn (the writer reserves room for text by
/// its length in both directions) on a white page; and text is sans-serif.
#[derive(Default)]
struct Canvas {
    svg: SVGWriter,
    labels: Vec<(Point, String, StyleAttr)>,
    width: f64,
    height: f64,
}

impl Canvas {
    fn grow(&mut self, x: f64, y: f64) {
        self.width = self.width.max(x + MARGIN);
        self.height = self.height.max(y + MARGIN);
    }

    fn finish(mut self) -> String {
        for (xy, text, look) in std::mem::take(&mut self.labels) {
            let font = look.font_size as f64;
            let (w, h) = text_extent(&text, font);
            let patch = StyleAttr::new(Color::transparent(), 0, Some(Color::fast("white")), 3, 0);
            self.svg.draw_rect(
                Point::new(xy.x - w / 2.0 - 2.0, xy.y - h / 2.0),
                Point::new(w + 4.0, h),
                &patch,
                None,
                None,
            );
            self.svg.draw_text(xy, &text, &look);
        }
        let svg = self.svg.finalize().replace(
            "font-family: Times, serif;",
            "font-family: Helvetica, Arial, sans-serif; fill: #0f172a;",
        );
        // Replace the writer's size with the measured one.
        let (w, h) = (self.width.ceil(), self.height.ceil());
        match (svg.find("<svg "), svg.find(" xmlns=")) {
            (Some(start), Some(end)) if start < end => format!(
                "{}<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"{}",
                &svg[..start],
                // An opaque page, so the picture reads the same on a dark theme.
                svg[end..].replacen(
                    ">\n",
                    ">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                    1
                )
            ),
            _ => svg,
        }
    }
}

/// Width and height of a (multi-line) text block, as layout-rs draws it.
fn text_extent(text: &str, font: f64) -> (f64, f64) {
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let lines = text.lines().count().max(1) as f64;
    (longest * font * GLYPH_WIDTH, lines * font + 4.0)
}

impl RenderBackend for Canvas {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
        clip: Option<ClipHandle>,
    ) {
        self.grow(xy.x + size.x, xy.y + size.y);
        self.svg.draw_rect(xy, size, look, properties, clip);
    }

    fn draw_line(
        &mut self,
        start: Point,
        stop: Point,
        look: &StyleAttr,
        properties: Option<String>,
    ) {
        self.grow(start.x.max(stop.x), start.y.max(stop.y));
        self.svg.draw_line(start, stop, look, properties);
    }

    fn draw_circle(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
    ) {
        self.grow(xy.x + size.x / 2.0, xy.y + size.y / 2.0);
        self.svg.draw_circle(xy, size, look, properties);
    }

    fn draw_text(&mut self, xy: Point, text: &str, look: &StyleAttr) {
        let (w, h) = text_extent(text, look.font_size as f64);
        self.grow(xy.x + w / 2.0, xy.y + h / 2.0);
        if look.font_size == EDGE_FONT {
            self.labels.push((xy, text.to_string(), look.clone()));
        } else {
            self.svg.draw_text(xy, text, look);
        }
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        dashed: bool,
        head: (bool, bool),
        look: &StyleAttr,
        properties: Option<String>,
        text: &str,
    ) {
        for (a, b) in path {
            self.grow(a.x.max(b.x), a.y.max(b.y));
        }
        self.svg
            .draw_arrow(path, dashed, head, look, properties, text);
    }

    fn create_clip(&mut self, xy: Point, size: Point, rounded_px: usize) -> ClipHandle {
        self.svg.create_clip(xy, size, rounded_px)
    }
}

/// The box that fits `lines` of text at the node font size.
fn box_size(lines: &[String]) -> Point {
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
    let font = NODE_FONT as f64;
    Point::new(
        longest * font * GLYPH_WIDTH + 2.0 * PADDING,
        lines.len() as f64 * font * 1.15 + 2.0 * PADDING,
    )
}

/// An SVG that says there is nothing to draw.
fn empty() -> String {
    concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n",
        "<svg width=\"320\" height=\"40\" viewBox=\"0 0 320 40\" xmlns=\"http://www.w3.org/2000/svg\">\n",
        "<text x=\"10\" y=\"25\" style=\"font-family: Helvetica, Arial, sans-serif; font-size: 14px\">",
        "no networks or containers</text>\n</svg>\n"
    )
    .to_string()
}

/// Text safe inside a double-quoted XML attribute.
fn attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::sample;

    fn groups<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .collect()
    }

    #[test]
    fn well_formed_with_a_node_per_network_and_container() {
        let svg = render(&sample());
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let names = |class| {
            let mut v: Vec<String> = groups(&doc, class)
                .iter()
                .map(|g| g.attribute("data-name").unwrap().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names("network"), ["back", "front", "mgmt"]);
        assert_eq!(names("container"), ["api", "db", "ops", "web", "worker"]);
        assert_eq!(groups(&doc, "attachment").len(), 7);
        let text: String = doc
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join("|");
        for label in [
            "back",
            "10.9.2.0/24",
            "web",
            "8080->80/tcp",
            "10.9.1.3",
            "10.9.3.3",
        ] {
            assert!(text.contains(label), "{label} missing from {text}");
        }
    }

    #[test]
    fn networks_and_containers_look_different() {
        let svg = render(&sample());
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let fill = |class| {
            groups(&doc, class)[0]
                .descendants()
                .find(|n| n.has_tag_name("rect"))
                .and_then(|r| r.attribute("fill"))
                .unwrap()
                .to_string()
        };
        assert_ne!(fill("network"), fill("container"));
        assert!(svg.contains("sans-serif"));
    }

    #[test]
    fn odd_names_are_escaped_and_nothing_is_an_empty_picture() {
        let mut t = sample();
        t.containers[0].image = "a<b>&\"c\"".into();
        roxmltree::Document::parse(&render(&t)).expect("still well-formed");
        let empty = render(&Topology::default());
        assert!(roxmltree::Document::parse(&empty).is_ok());
        assert!(empty.contains("no networks or containers"));
    }
}
