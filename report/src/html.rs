//! The page: a self-contained HTML5 document (inline CSS, figures as inline SVG, no script, no URL
//! fetched) built from numbered sections.

/// `s` with `& < > " '` escaped, for text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as the table shows it (4 decimals; NaN as `NaN`), with its exact value (shortest
/// round-trip form) in `data-value`, so the page can be checked against recomputed values.
pub fn number_cell(name: &str, v: Option<f64>) -> String {
    match v {
        Some(v) => format!("<td class=\"num\" data-metric=\"{name}\" data-value=\"{v}\">{v:.4}</td>"),
        None => format!("<td class=\"num none\" data-metric=\"{name}\">–</td>"),
    }
}

/// A note that a section (or part of one) lacks an input.
pub fn missing(what: &str) -> String {
    format!("<p class=\"missing\">{}</p>\n", escape(what))
}

/// A figure: an inline SVG with a caption.
pub fn figure(svg: &str, caption: &str) -> String {
    // plotters writes no XML declaration, but strip one if a later version does: it is invalid inline.
    let svg = match svg.find("<svg") {
        Some(k) => &svg[k..],
        None => svg,
    };
    format!("<figure>{svg}<figcaption>{}</figcaption></figure>\n", escape(caption))
}

const STYLE: &str = "
body { font-family: sans-serif; margin: 1.5em 2em; color: #222; max-width: 1400px; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; font-size: .9em; margin: .6em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.causal td { background: #fde2e2; }
.missing { color: #a33; font-style: italic; }
.meta, .note { color: #555; font-size: .9em; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: .5em 0; } figcaption { color: #555; font-size: .85em; max-width: 960px; }
.swatch { display: inline-block; width: .9em; height: .9em; margin: 0 .3em 0 1em; vertical-align: middle; }
";

/// A page under construction.
#[derive(Debug, Clone, Default)]
pub struct Page {
    title: String,
    intro: String,
    sections: Vec<String>,
}

impl Page {
    pub fn new(title: &str, intro: &str) -> Self {
        Self { title: title.to_string(), intro: intro.to_string(), sections: Vec::new() }
    }

    /// Appends section `id` with a numbered heading and `content` (HTML).
    pub fn section(&mut self, id: &str, heading: &str, content: &str) {
        let n = self.sections.len() + 1;
        self.sections.push(format!("<section id=\"{id}\">\n<h2>{n}. {}</h2>\n{content}</section>\n", escape(heading)));
    }

    /// The document.
    pub fn finish(self) -> String {
        let title = escape(&self.title);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
             <link rel=\"icon\" href=\"data:,\">\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
             <p class=\"meta\">{}</p>\n{}</body>\n</html>\n",
            self.intro,
            self.sections.concat()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_keep_their_exact_value() {
        assert_eq!(escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#39;");
        let cell = number_cell("auprc", Some(0.1 + 0.2));
        assert!(cell.contains("data-value=\"0.30000000000000004\">0.3000<"), "{cell}");
        assert!(number_cell("auprc", None).contains('–'));
    }
}
