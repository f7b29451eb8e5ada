//! Aligned tables for people: arrays of maps (`ps()`, `network::ls()`)
//! shown like the docker CLI shows its lists.

use comfy_table::{ContentArrangement, Table, presets};
use rhai::{Array, Dynamic, Map};

/// Columns that come first when present, in this order; others follow as they come.
const PREFERRED_ORDER: &[&str] = &[
    "name", "id", "image", "driver", "scope", "subnet", "internal", "state", "status", "networks",
    "ports",
];

/// Formats rows with upper-case headers, `name` first when present.
pub(crate) fn render(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !headers.is_empty() {
        table.set_header(headers.iter().map(|h| h.to_uppercase()));
    }
    for row in rows {
        table.add_row(row);
    }
    // comfy-table pads every cell on both sides; trim the outer margin.
    table
        .lines()
        .map(|l| {
            l.trim_end()
                .strip_prefix(' ')
                .unwrap_or(&l)
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A cell's text: arrays as comma lists, `()` as empty.
pub(crate) fn cell(v: &Dynamic) -> String {
    if v.is_unit() {
        return String::new();
    }
    if let Some(arr) = v.read_lock::<Array>() {
        return arr.iter().map(cell).collect::<Vec<_>>().join(", ");
    }
    if v.is_float() {
        return format!("{:.3}", v.as_float().unwrap_or_default());
    }
    v.to_string()
}

/// A table from script rows: maps (keys become headers) or arrays (no headers).
pub(crate) fn from_rows(rows: &Array) -> Result<String, String> {
    if rows.is_empty() {
        return Ok(String::new());
    }
    if rows.iter().all(|r| r.is_array()) {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.read_lock::<Array>()
                    .map(|a| a.iter().map(cell).collect())
                    .unwrap_or_default()
            })
            .collect();
        return Ok(render(&[], &rows));
    }
    let mut headers: Vec<String> = Vec::new();
    let mut maps: Vec<Map> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let map = r
            .read_lock::<Map>()
            .ok_or_else(|| {
                format!("row {i} is not a map; give an array of maps or an array of arrays")
            })?
            .clone();
        for k in map.keys() {
            if !headers.iter().any(|h| h == k.as_str()) {
                headers.push(k.to_string());
            }
        }
        maps.push(map);
    }
    // Known columns first, in the order the docker CLI shows them.
    headers.sort_by_key(|h| {
        PREFERRED_ORDER
            .iter()
            .position(|p| p == h)
            .unwrap_or(PREFERRED_ORDER.len())
    });
    let rows: Vec<Vec<String>> = maps
        .iter()
        .map(|m| {
            headers
                .iter()
                .map(|h| m.get(h.as_str()).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    Ok(render(&headers, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_become_aligned_columns_with_name_first() {
        let rows: Array = rhai::Engine::new()
            .eval(r#"[#{id: "1", name: "web", networks: ["a", "b"]}, #{id: "22", name: "db", networks: []}]"#)
            .unwrap();
        let text = from_rows(&rows).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME"), "{text}");
        assert!(
            lines[1].contains("web") && lines[1].contains("a, b"),
            "{text}"
        );
        // Columns line up: "ID" starts at the same place in every line.
        let col = lines[0].find("ID").unwrap();
        assert_eq!(&lines[1][col..col + 1], "1");
        assert_eq!(&lines[2][col..col + 2], "22");
    }

    #[test]
    fn non_map_rows_are_rejected() {
        let rows: Array = vec![Dynamic::from(1_i64)];
        assert!(from_rows(&rows).unwrap_err().contains("row 0 is not a map"));
    }
}
