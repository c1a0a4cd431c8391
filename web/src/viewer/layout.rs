//! Viewport layouts of the study view: 1×1, 1×2, 2×1, 2×2 and 1×3 (rows × columns), and the rectangle of each
//! viewport inside the drawing area, in device pixels.
//!
//! Pure geometry: it must not know what a viewport shows.

use lumen_render::ViewportRect;

/// A grid of viewports, named rows × columns as reading workstations do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One viewport.
    One,
    /// One row, two columns (side by side).
    OneByTwo,
    /// Two rows, one column (one above the other).
    TwoByOne,
    /// Two rows, two columns.
    TwoByTwo,
    /// One row, three columns.
    OneByThree,
}

impl Layout {
    /// Every layout, in the order the toolbar offers them.
    pub const ALL: [Layout; 5] = [
        Layout::One,
        Layout::OneByTwo,
        Layout::TwoByOne,
        Layout::TwoByTwo,
        Layout::OneByThree,
    ];

    /// (rows, columns).
    pub fn grid(self) -> (u32, u32) {
        match self {
            Layout::One => (1, 1),
            Layout::OneByTwo => (1, 2),
            Layout::TwoByOne => (2, 1),
            Layout::TwoByTwo => (2, 2),
            Layout::OneByThree => (1, 3),
        }
    }

    /// Number of viewports.
    pub fn count(self) -> usize {
        let (r, c) = self.grid();
        (r * c) as usize
    }

    /// The label shown on the toolbar button ("1×2").
    pub fn label(self) -> String {
        let (r, c) = self.grid();
        format!("{r}×{c}")
    }

    /// The smallest layout holding `n` viewports side by side (1 → 1×1, 2 → 1×2, 3 → 1×3, more → 2×2).
    pub fn for_count(n: usize) -> Layout {
        match n {
            0 | 1 => Layout::One,
            2 => Layout::OneByTwo,
            3 => Layout::OneByThree,
            _ => Layout::TwoByTwo,
        }
    }

    /// The rectangles of the viewports, row by row, tiling a `width × height` area exactly (the last row and
    /// column take the remainder of an uneven division).
    pub fn cells(self, width: u32, height: u32) -> Vec<ViewportRect> {
        let (rows, cols) = self.grid();
        let edge = |i: u32, n: u32, total: u32| (total as u64 * i as u64 / n as u64) as u32;
        let mut out = Vec::with_capacity(self.count());
        for r in 0..rows {
            for c in 0..cols {
                let (x0, x1) = (edge(c, cols, width), edge(c + 1, cols, width));
                let (y0, y1) = (edge(r, rows, height), edge(r + 1, rows, height));
                out.push(ViewportRect {
                    x: x0,
                    y: y0,
                    width: x1 - x0,
                    height: y1 - y0,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn one_by_two_splits_the_width_and_keeps_the_height() {
        let cells = Layout::OneByTwo.cells(801, 600);
        assert_eq!(cells.len(), 2);
        assert_eq!((cells[0].x, cells[0].width, cells[0].height), (0, 400, 600));
        assert_eq!(
            (cells[1].x, cells[1].width, cells[1].height),
            (400, 401, 600)
        );
    }

    #[test]
    fn two_by_two_tiles_row_by_row() {
        let cells = Layout::TwoByTwo.cells(100, 60);
        let xy: Vec<(u32, u32)> = cells.iter().map(|c| (c.x, c.y)).collect();
        assert_eq!(xy, vec![(0, 0), (50, 0), (0, 30), (50, 30)]);
    }

    #[test]
    fn layout_for_count_grows_with_the_number_of_images() {
        assert_eq!(Layout::for_count(1), Layout::One);
        assert_eq!(Layout::for_count(2), Layout::OneByTwo);
        assert_eq!(Layout::for_count(3), Layout::OneByThree);
        assert_eq!(Layout::for_count(7), Layout::TwoByTwo);
        assert_eq!(Layout::TwoByOne.label(), "2×1");
    }
}
