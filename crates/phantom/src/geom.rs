//! Small analytic shapes shared by the phantoms: tapered tubes (capsules whose radius varies linearly from one
//! end to the other) and spheres, each with an axis-aligned bounding box so a point test can be rejected cheaply.
//! Coordinates are millimetres in the DICOM patient coordinate system (LPS: +x to the patient's left, +y to the
//! posterior, +z to the head). Nothing here knows about DICOM or pixels.

/// A point or vector in millimetres (x, y, z).
pub type Vec3 = [f64; 3];

#[inline]
pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
#[inline]
pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
#[inline]
pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
#[inline]
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
#[inline]
pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}
pub fn normalize(a: Vec3) -> Vec3 {
    let n = norm(a);
    if n > 0.0 {
        scale(a, 1.0 / n)
    } else {
        [0.0, 0.0, 1.0]
    }
}

/// Axis-aligned box, min and max corners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

impl Aabb {
    #[inline]
    pub fn contains(&self, p: Vec3) -> bool {
        p[0] >= self.min[0]
            && p[0] <= self.max[0]
            && p[1] >= self.min[1]
            && p[1] <= self.max[1]
            && p[2] >= self.min[2]
            && p[2] <= self.max[2]
    }
}

/// A tube from `a` (radius `ra`) to `b` (radius `rb`) with rounded ends: the set of points whose distance to the
/// closest point of the segment is below the radius interpolated at that point.
#[derive(Debug, Clone, PartialEq)]
pub struct Tube {
    pub a: Vec3,
    pub b: Vec3,
    pub ra: f64,
    pub rb: f64,
    pub bounds: Aabb,
    d: Vec3,
    inv_len2: f64,
}

impl Tube {
    pub fn new(a: Vec3, b: Vec3, ra: f64, rb: f64) -> Self {
        let r = ra.max(rb);
        let min = [a[0].min(b[0]) - r, a[1].min(b[1]) - r, a[2].min(b[2]) - r];
        let max = [a[0].max(b[0]) + r, a[1].max(b[1]) + r, a[2].max(b[2]) + r];
        let d = sub(b, a);
        let len2 = dot(d, d);
        Tube {
            a,
            b,
            ra,
            rb,
            bounds: Aabb { min, max },
            d,
            inv_len2: if len2 > 0.0 { 1.0 / len2 } else { 0.0 },
        }
    }

    /// Signed distance-like value: (distance to the axis) − (local radius). Negative inside.
    #[inline]
    pub fn depth(&self, p: Vec3) -> f64 {
        let ap = sub(p, self.a);
        let t = (dot(ap, self.d) * self.inv_len2).clamp(0.0, 1.0);
        let closest = add(self.a, scale(self.d, t));
        let r = self.ra + (self.rb - self.ra) * t;
        norm(sub(p, closest)) - r
    }

    #[inline]
    pub fn contains(&self, p: Vec3) -> bool {
        self.bounds.contains(p) && self.depth(p) < 0.0
    }

    /// The x/y box of the part of the tube that crosses the plane at height `z`, or `None` when the tube does not
    /// reach that plane.
    pub fn xy_bounds_at(&self, z: f64) -> Option<([f64; 2], [f64; 2])> {
        if z < self.bounds.min[2] || z > self.bounds.max[2] {
            return None;
        }
        let r = self.ra.max(self.rb);
        let dz = self.d[2];
        let (t0, t1) = if dz.abs() < 1e-9 {
            (0.0, 1.0)
        } else {
            let ta = ((z - r - self.a[2]) / dz).clamp(0.0, 1.0);
            let tb = ((z + r - self.a[2]) / dz).clamp(0.0, 1.0);
            (ta.min(tb), ta.max(tb))
        };
        let p0 = add(self.a, scale(self.d, t0));
        let p1 = add(self.a, scale(self.d, t1));
        Some((
            [p0[0].min(p1[0]) - r, p0[1].min(p1[1]) - r],
            [p0[0].max(p1[0]) + r, p0[1].max(p1[1]) + r],
        ))
    }
}

/// Tubes along a polyline: consecutive points joined, radius interpolated between the given per-point radii.
pub fn polyline(points: &[(Vec3, f64)]) -> Vec<Tube> {
    points
        .windows(2)
        .map(|w| Tube::new(w[0].0, w[1].0, w[0].1, w[1].1))
        .collect()
}

/// Is (x, y) inside the axis-aligned ellipse with centre (cx, cy) and semi-axes (ax, by)?
#[inline]
pub fn in_ellipse(x: f64, y: f64, cx: f64, cy: f64, ax: f64, by: f64) -> bool {
    if ax <= 0.0 || by <= 0.0 {
        return false;
    }
    let u = (x - cx) / ax;
    let v = (y - cy) / by;
    u * u + v * v < 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tube_contains_points_within_interpolated_radius() {
        let t = Tube::new([0.0, 0.0, 0.0], [0.0, 0.0, 10.0], 4.0, 2.0);
        assert!(t.contains([3.9, 0.0, 0.0]));
        assert!(!t.contains([3.1, 0.0, 5.0])); // radius 3 at the middle
        assert!(t.contains([2.9, 0.0, 5.0]));
        assert!(!t.contains([0.0, 0.0, 12.5])); // beyond the rounded end of radius 2
    }

    #[test]
    fn tube_xy_bounds_cover_the_crossing() {
        let t = Tube::new([0.0, 0.0, 0.0], [10.0, 0.0, 10.0], 1.0, 1.0);
        let (lo, hi) = t.xy_bounds_at(5.0).unwrap();
        assert!(lo[0] <= 4.0 && hi[0] >= 6.0);
        assert!(t.xy_bounds_at(20.0).is_none());
    }
}
