// How the dashboard prints a parameter's value (the Open MCT formats "ilrs.number" and
// "ilrs.integer", with the unit appended), and the plot legend's newest value: Open MCT's
// expanded legend shows the point under the cursor and leaves Timestamp and Value blank
// otherwise; in realtime those blank cells show the newest live value, marked "latest".
// Plain ES module.

//: Significant digits of a displayed value (a float32 carries about 7).
const DIGITS = 6;
const FILL_PERIOD_MS = 500;

/**
 * A number to at most `digits` significant digits, never in exponent form above 1e-6,
 * trailing zeros dropped: 77472.88843358254 → "77472.9", 0.123456789 → "0.123457",
 * 1234567890.4 → "1234567890", 0.35 → "0.35".
 */
export function formatNumber(value, digits = DIGITS) {
  const x = typeof value === "number" ? value : Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(x)) {
    return value === null || value === undefined ? "" : String(value);
  }
  if (x === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.min(20, Math.max(0, digits - 1 - magnitude));
  return String(Number(x.toFixed(decimals)));
}

/** An integer (and a boolean as 0 / 1): rounded, no decimals. */
export function formatInteger(value) {
  const x = typeof value === "number" ? value : Number(value);
  return value === null || value === undefined || !Number.isFinite(x) ? String(value ?? "")
    : String(Math.round(x));
}

/** The Open MCT value metadata fields that print a parameter this way, with its unit. */
export function valueFormat(type, unit) {
  const integer = type === "bool" || /^u?int\d+$/.test(type ?? "");
  const out = { format: integer ? "ilrs.integer" : "ilrs.number" };
  // Open MCT applies formatString (printf) to the format's text: "77472.9" → "77472.9 W"
  if (unit) out.formatString = `%s ${unit.replaceAll("%", "%%")}`;
  return out;
}

/** Register the two formats with Open MCT. */
export function addFormats(openmct) {
  const parse = (text) => (typeof text === "number" ? text : Number.parseFloat(text));
  const validate = (text) => Number.isFinite(parse(text));
  openmct.telemetry.addFormat({ key: "ilrs.number", format: formatNumber, parse, validate });
  openmct.telemetry.addFormat({ key: "ilrs.integer", format: formatInteger, parse, validate });
}

/**
 * Fill the expanded legends' blank Timestamp and Value cells with the newest live value.
 * `latest(name)` gives the newest realtime datum of a series ({time ms, text}) or
 * undefined. The text goes in a span of its own beside Open MCT's (which it never
 * touches), hidden while the cursor is over the plot.
 */
export function fillLegends(openmct, latest) {
  const fill = () => {
    const live = openmct.time.isRealTime();
    for (const table of document.querySelectorAll(".plot-wrapper-expanded-legend table")) {
      const columns = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
      for (const row of table.querySelectorAll("tr.plot-legend-item")) {
        const name = row.querySelector(".plot-series-name")?.textContent.trim();
        const datum = live && name ? latest(name) : undefined;
        const texts = {
          Timestamp: datum ? new Date(datum.time).toISOString().replace("T", " ") : "",
          Value: datum ? datum.text : "",
        };
        for (const [column, text] of Object.entries(texts)) {
          const cell = row.cells[columns.indexOf(column)];
          if (!cell) continue;
          let mark = cell.querySelector(".ilrs-latest");
          if (!mark) {
            mark = document.createElement("span");
            mark.className = `ilrs-latest ${column.toLowerCase()}`;
            mark.title = "the newest live value; hover the plot for the value under the cursor";
            cell.append(mark);
          }
          if (mark.textContent !== text) mark.textContent = text;
        }
      }
    }
  };
  return setInterval(fill, FILL_PERIOD_MS);
}
