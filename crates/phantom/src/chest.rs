//! The chest phantom: an analytic model of an adult chest in the DICOM patient coordinate system (LPS,
//! millimetres; +x patient left, +y posterior, +z head), evaluated point by point. It is the single source of
//! truth for the CT series, the CT ground-truth labels and the projection radiograph, so all three agree.
//!
//! Anatomy (CT numbers in HU, before noise): air outside (-1000); skin (30), subcutaneous fat (-100) and a
//! muscle layer (45) following an elliptical body outline that narrows to a neck above the lung apices; two lungs
//! (-850) shaped by the apices, the diaphragm domes (right higher than left), the heart and the mediastinum, each
//! with a deterministic branching tree of pulmonary vessels (+40) that taper and thin towards the periphery;
//! trachea and main/lobar bronchi (air lumen, soft-tissue wall); heart (40) with pericardial fat around it;
//! contrast-filled aorta (200: ascending, arch, descending) and pulmonary arteries (150); superior vena cava and
//! oesophagus (40); spine with vertebral bodies (cortex 700, cancellous 250) separated by discs (80) every 28 mm,
//! spinal canal and cord, posterior arches, spinous and transverse processes; 12 pairs of ribs sloping down
//! anteriorly (cortex 650, marrow 220) ending in costal cartilage (110); sternum, clavicles and scapulae; liver,
//! stomach with a gas bubble and spleen below the diaphragm; and four nodules of known position and diameter.
//!
//! This module must stay free of DICOM and I/O: it only answers "what is at this point".

use crate::geom::{add, cross, dot, in_ellipse, normalize, polyline, scale, sub, Tube, Vec3};
use crate::hash::SplitMix;

/// Ground-truth tissue class of a voxel, for training and checking segmentation models.
///
/// The numeric values are stable and are what [`crate::ct_label_volume`] stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Label {
    /// Air outside the patient.
    Background = 0,
    /// Any soft tissue not listed below: skin, fat, muscle, mediastinum, abdominal organs, cartilage, canal.
    Body = 1,
    /// Lung parenchyma.
    Lung = 2,
    /// Bone: vertebrae, ribs, sternum, clavicles, scapulae.
    Bone = 3,
    /// A lung nodule (see [`Nodule`]).
    Nodule = 4,
    /// Pulmonary vessels and the main pulmonary arteries.
    Vessel = 5,
    /// Air inside the trachea and bronchi.
    Airway = 6,
    /// Heart (myocardium and blood pool).
    Heart = 7,
    /// Aorta (contrast filled).
    Aorta = 8,
}

impl Label {
    /// All labels in numeric order.
    pub const ALL: [Label; 9] = [
        Label::Background,
        Label::Body,
        Label::Lung,
        Label::Bone,
        Label::Nodule,
        Label::Vessel,
        Label::Airway,
        Label::Heart,
        Label::Aorta,
    ];

    /// The label's stored value.
    pub fn value(self) -> u8 {
        self as u8
    }

    /// A short English name ("lung", "nodule", …).
    pub fn name(self) -> &'static str {
        match self {
            Label::Background => "background",
            Label::Body => "body",
            Label::Lung => "lung",
            Label::Bone => "bone",
            Label::Nodule => "nodule",
            Label::Vessel => "vessel",
            Label::Airway => "airway",
            Label::Heart => "heart",
            Label::Aorta => "aorta",
        }
    }
}

/// The phantom's content at one point: the noiseless CT number and the ground-truth label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Voxel {
    /// CT number in Hounsfield units, before noise.
    pub hu: f64,
    pub label: Label,
}

/// A spherical lung nodule placed in the phantom.
#[derive(Debug, Clone, PartialEq)]
pub struct Nodule {
    /// Centre in patient coordinates (mm).
    pub centre: Vec3,
    /// Diameter in mm.
    pub diameter_mm: f64,
    /// CT number inside the nodule (40 for solid, about -450 for ground glass).
    pub hu: f64,
    /// Where it is, in a radiologist's words.
    pub location: &'static str,
}

const HU_AIR: f64 = -1000.0;
const HU_FAT: f64 = -100.0;
const HU_SKIN: f64 = 30.0;
const HU_MUSCLE: f64 = 45.0;
const HU_LUNG: f64 = -850.0;
const HU_VESSEL: f64 = 40.0;
const HU_HEART: f64 = 40.0;
const HU_AORTA: f64 = 200.0;
const HU_PULMONARY_ARTERY: f64 = 150.0;
const HU_SOFT: f64 = 40.0;
const HU_MEDIASTINAL_FAT: f64 = -90.0;
const HU_CORTEX: f64 = 700.0;
const HU_CANCELLOUS: f64 = 250.0;
const HU_DISC: f64 = 80.0;
const HU_CSF: f64 = 15.0;
const HU_CORD: f64 = 35.0;
const HU_RIB_CORTEX: f64 = 650.0;
const HU_RIB_MARROW: f64 = 220.0;
const HU_CARTILAGE: f64 = 110.0;
const HU_LIVER: f64 = 60.0;
const HU_SPLEEN: f64 = 50.0;
const HU_STOMACH: f64 = 30.0;

/// Height of the lung apices (mm).
const LUNG_APEX_Z: f64 = 150.0;
/// Vertebral period along z (body + disc) and disc height, mm.
const VERTEBRA_PERIOD: f64 = 28.0;
const DISC_HEIGHT: f64 = 6.0;
/// Side length of the x/y tiles used to look up pulmonary vessels quickly, mm.
const TILE_MM: f64 = 12.0;
const GRID_ORIGIN: f64 = -240.0;
const GRID_TILES: usize = 40;

/// The chest phantom. Build it once with [`ChestPhantom::new`] (deterministic: the vessel tree comes from a
/// fixed seed) and query it with [`ChestPhantom::sample`] or a [`SliceContext`].
#[derive(Debug, Clone)]
pub struct ChestPhantom {
    vessels: Vec<Tube>,
    airways: Vec<Tube>,
    aorta: Vec<Tube>,
    pulmonary_arteries: Vec<Tube>,
    soft_tubes: Vec<Tube>,
    clavicles: Vec<Tube>,
    nodules: Vec<Nodule>,
}

/// Per-plane precomputation for fast evaluation of many points at the same z: the body outline at that height
/// and a tile index of the pulmonary vessels that cross the plane.
#[derive(Debug, Clone)]
pub struct SliceContext<'a> {
    phantom: &'a ChestPhantom,
    z: f64,
    body: (f64, f64),
    tiles: Vec<Vec<u32>>,
}

impl Default for ChestPhantom {
    fn default() -> Self {
        Self::new()
    }
}

impl ChestPhantom {
    /// Build the phantom. Always the same anatomy: the only pseudo-random part (vessel branching) uses a fixed
    /// seed.
    pub fn new() -> Self {
        let airways = {
            let mut t = polyline(&[([0.0, 8.0, 200.0], 9.0), ([0.0, 10.0, 40.0], 8.5)]);
            // Right main bronchus, then upper and lower lobar bronchi.
            t.extend(polyline(&[
                ([0.0, 10.0, 40.0], 7.0),
                ([-40.0, 12.0, 22.0], 6.0),
            ]));
            t.extend(polyline(&[
                ([-40.0, 12.0, 22.0], 4.5),
                ([-68.0, 4.0, 50.0], 3.0),
            ]));
            t.extend(polyline(&[
                ([-40.0, 12.0, 22.0], 5.0),
                ([-62.0, 22.0, -15.0], 3.2),
            ]));
            // Left main bronchus, longer and more horizontal, then its lobar bronchi.
            t.extend(polyline(&[
                ([0.0, 10.0, 40.0], 6.5),
                ([45.0, 14.0, 15.0], 5.5),
            ]));
            t.extend(polyline(&[
                ([45.0, 14.0, 15.0], 4.2),
                ([68.0, 6.0, 42.0], 3.0),
            ]));
            t.extend(polyline(&[
                ([45.0, 14.0, 15.0], 4.8),
                ([66.0, 26.0, -22.0], 3.2),
            ]));
            t
        };
        let aorta = polyline(&[
            ([10.0, -20.0, -15.0], 14.0),
            ([8.0, -24.0, 45.0], 14.0),
            ([25.0, -5.0, 70.0], 13.0),
            ([33.0, 15.0, 68.0], 12.5),
            ([33.0, 30.0, 50.0], 12.0),
            ([31.0, 33.0, 0.0], 12.0),
            ([28.0, 36.0, -250.0], 11.0),
        ]);
        let mut pulmonary_arteries = polyline(&[
            ([30.0, -40.0, -5.0], 13.0),
            ([32.0, -25.0, 25.0], 13.0),
            ([55.0, 0.0, 22.0], 9.0),
        ]);
        pulmonary_arteries.extend(polyline(&[
            ([32.0, -25.0, 25.0], 11.0),
            ([8.0, 0.0, 28.0], 10.0),
            ([-48.0, 2.0, 20.0], 8.0),
        ]));
        let mut soft_tubes =
            polyline(&[([-24.0, -20.0, 120.0], 10.0), ([-24.0, -22.0, 0.0], 11.0)]);
        soft_tubes.extend(polyline(&[
            ([6.0, 20.0, 200.0], 8.0),
            ([8.0, 22.0, -250.0], 8.0),
        ]));
        let mut clavicles = Vec::new();
        for s in [-1.0, 1.0] {
            clavicles.extend(polyline(&[
                ([s * 14.0, -100.0, 118.0], 7.0),
                ([s * 60.0, -97.0, 132.0], 7.0),
                ([s * 105.0, -82.0, 136.0], 6.5),
                ([s * 128.0, -62.0, 139.0], 6.5),
            ]));
        }
        let nodules = vec![
            Nodule {
                centre: [-85.0, -15.0, 75.0],
                diameter_mm: 4.0,
                hu: 40.0,
                location: "right upper lobe",
            },
            Nodule {
                centre: [95.0, 35.0, -20.0],
                diameter_mm: 8.0,
                hu: 40.0,
                location: "left lower lobe",
            },
            Nodule {
                centre: [-90.0, 45.0, -25.0],
                diameter_mm: 12.0,
                hu: 40.0,
                location: "right lower lobe",
            },
            Nodule {
                centre: [75.0, -30.0, 60.0],
                diameter_mm: 10.0,
                hu: -450.0,
                location: "left upper lobe (ground glass)",
            },
        ];
        let mut phantom = ChestPhantom {
            vessels: Vec::new(),
            airways,
            aorta,
            pulmonary_arteries,
            soft_tubes,
            clavicles,
            nodules,
        };
        phantom.vessels = phantom.grow_vessel_trees();
        phantom
    }

    /// The nodules placed in the phantom (positions in patient coordinates).
    pub fn nodules(&self) -> &[Nodule] {
        &self.nodules
    }

    /// Number of pulmonary vessel segments (for documentation and tests).
    pub fn vessel_segments(&self) -> usize {
        self.vessels.len()
    }

    /// The noiseless CT number and label at point `p` (patient coordinates, mm).
    pub fn sample(&self, p: Vec3) -> Voxel {
        self.slice_context(p[2]).sample(p[0], p[1])
    }

    /// Precompute what is needed to evaluate many points on the plane at height `z`.
    pub fn slice_context(&self, z: f64) -> SliceContext<'_> {
        let mut tiles = vec![Vec::new(); GRID_TILES * GRID_TILES];
        for (i, tube) in self.vessels.iter().enumerate() {
            if let Some((lo, hi)) = tube.xy_bounds_at(z) {
                let tx0 = tile_index(lo[0]);
                let tx1 = tile_index(hi[0]);
                let ty0 = tile_index(lo[1]);
                let ty1 = tile_index(hi[1]);
                for ty in ty0..=ty1 {
                    for tx in tx0..=tx1 {
                        if let Some(tile) = tiles.get_mut(ty * GRID_TILES + tx) {
                            tile.push(i as u32);
                        }
                    }
                }
            }
        }
        SliceContext {
            phantom: self,
            z,
            body: body_semi_axes(z),
            tiles,
        }
    }

    /// Grow the two pulmonary vessel trees from the hila with a fixed seed: each branch splits in two at
    /// 25–45°, children are 80–90 % as long and 74 % as thick (4.5 mm at the hilum, about 0.5 mm after 8 generations), branches stop when they leave the lung or
    /// get thinner than 0.4 mm.
    fn grow_vessel_trees(&self) -> Vec<Tube> {
        let mut rng = SplitMix::new(0x4C55_4D45_4E21);
        let mut tubes = Vec::new();
        for s in [-1.0, 1.0] {
            let hilum = [s * 50.0, 3.0, 18.0];
            // Roots leave the hilum in 18 directions spread evenly over the sphere (a Fibonacci lattice), keeping
            // those that point away from the midline and start inside the lung.
            let n = 18;
            for i in 0..n {
                let t = (f64::from(i) + 0.5) / f64::from(n);
                let z = 1.0 - 2.0 * t;
                let r = (1.0 - z * z).sqrt();
                let phi = f64::from(i) * std::f64::consts::PI * (3.0 - 5f64.sqrt());
                let dir = [s * (r * phi.cos()).abs(), r * phi.sin(), z];
                let first_end = add(hilum, scale(dir, 15.0));
                if dir[0] * s > 0.15 && lung_region(first_end[0], first_end[1], first_end[2]) {
                    self.grow(&mut rng, &mut tubes, hilum, dir, 20.0, 4.5, 8, hilum);
                }
            }
        }
        tubes
    }

    #[allow(clippy::too_many_arguments)]
    fn grow(
        &self,
        rng: &mut SplitMix,
        out: &mut Vec<Tube>,
        start: Vec3,
        dir: Vec3,
        length: f64,
        radius: f64,
        depth: u32,
        hilum: Vec3,
    ) {
        let end = add(start, scale(dir, length));
        let end_radius = radius * 0.86;
        out.push(Tube::new(start, end, radius, end_radius));
        if depth == 0 || end_radius < 0.4 || !lung_region(end[0], end[1], end[2]) {
            return;
        }
        let outward = normalize(sub(end, hilum));
        for sign in [1.0, -1.0] {
            // Try a few random branching planes (and then shorter branches) until the child ends inside the
            // lung, so the tree fills the lung instead of dying where its first guess hits the mediastinum.
            for attempt in 0..8 {
                let random = [
                    rng.range(-1.0, 1.0),
                    rng.range(-1.0, 1.0),
                    rng.range(-1.0, 1.0),
                ];
                let axis = normalize(cross(dir, random));
                let angle = sign * rng.range(0.45, 0.8);
                let rotated = rotate(dir, axis, angle);
                let child_dir = normalize(add(scale(rotated, 0.85), scale(outward, 0.15)));
                let shrink = if attempt < 4 { 1.0 } else { 0.6 };
                let child_len = length * rng.range(0.8, 0.9) * shrink;
                let child_end = add(end, scale(child_dir, child_len));
                if lung_region(child_end[0], child_end[1], child_end[2]) {
                    self.grow(
                        rng,
                        out,
                        end,
                        child_dir,
                        child_len,
                        end_radius * 0.89,
                        depth - 1,
                        hilum,
                    );
                    break;
                }
            }
        }
    }
}

/// Rodrigues rotation of `v` about unit `axis` by `angle` radians.
fn rotate(v: Vec3, axis: Vec3, angle: f64) -> Vec3 {
    let (s, c) = angle.sin_cos();
    let term1 = scale(v, c);
    let term2 = scale(cross(axis, v), s);
    let term3 = scale(axis, dot(axis, v) * (1.0 - c));
    add(add(term1, term2), term3)
}

fn tile_index(v: f64) -> usize {
    (((v - GRID_ORIGIN) / TILE_MM).floor().max(0.0) as usize).min(GRID_TILES - 1)
}

/// Semi-axes (x, y) of the body outline at height z: a chest 320 × 230 mm, narrowing to a 130 × 120 mm neck
/// between z = 150 and z = 190 mm.
fn body_semi_axes(z: f64) -> (f64, f64) {
    let t = ((z - 150.0) / 40.0).clamp(0.0, 1.0);
    let t = t * t * (3.0 - 2.0 * t);
    (160.0 + (65.0 - 160.0) * t, 115.0 + (60.0 - 115.0) * t)
}

/// Height of the diaphragm dome under the lung of side `s` (-1 right, +1 left) at (x, y).
fn dome_z(s: f64, x: f64, y: f64) -> f64 {
    let peak = if s < 0.0 { -48.0 } else { -60.0 };
    let dx = x - s * 65.0;
    let dy = y - 5.0;
    peak - 0.0045 * (dx * dx + dy * dy)
}

fn in_heart(x: f64, y: f64, z: f64) -> bool {
    let u = (x - 22.0) / 62.0;
    let v = (y + 22.0) / 52.0;
    let w = (z + 35.0) / 50.0;
    u * u + v * v + w * w < 1.0
}

fn in_pericardial_fat(x: f64, y: f64, z: f64) -> bool {
    let u = (x - 22.0) / 68.0;
    let v = (y + 22.0) / 58.0;
    let w = (z + 35.0) / 56.0;
    u * u + v * v + w * w < 1.0
}

/// The lung region before vessels, airways and other structures are carved out of it.
fn lung_region(x: f64, y: f64, z: f64) -> bool {
    if z > LUNG_APEX_Z || in_heart(x, y, z) {
        return false;
    }
    let s = if x < 0.0 { -1.0 } else { 1.0 };
    if z < dome_z(s, x, y) {
        return false;
    }
    let (a, b) = body_semi_axes(z);
    if !in_ellipse(x, y, 0.0, 0.0, a - 27.0, b - 27.0) {
        return false;
    }
    // Rounded apex: the lung's cross-section shrinks over its top 45 mm.
    let f = ((LUNG_APEX_Z - z) / 45.0).clamp(0.0, 1.0).sqrt();
    in_ellipse(x, y, s * 70.0, 2.0 + (1.0 - f) * 15.0, 64.0 * f, 92.0 * f)
}

impl SliceContext<'_> {
    /// The noiseless CT number and label at (x, y) on this context's plane.
    pub fn sample(&self, x: f64, y: f64) -> Voxel {
        let z = self.z;
        let (a, b) = self.body;
        if !in_ellipse(x, y, 0.0, 0.0, a, b) {
            return Voxel {
                hu: HU_AIR,
                label: Label::Background,
            };
        }
        let ph = self.phantom;
        let p = [x, y, z];
        for n in &ph.nodules {
            let d = sub(p, n.centre);
            let r = n.diameter_mm / 2.0;
            if dot(d, d) < r * r {
                return Voxel {
                    hu: n.hu,
                    label: Label::Nodule,
                };
            }
        }
        // Airway lumen, then its 2 mm wall.
        let mut in_wall = false;
        for t in &ph.airways {
            if p[2] >= t.bounds.min[2] - 2.0 && p[2] <= t.bounds.max[2] + 2.0 {
                let depth = t.depth(p);
                if depth < 0.0 {
                    return Voxel {
                        hu: HU_AIR,
                        label: Label::Airway,
                    };
                }
                in_wall |= depth < 2.0;
            }
        }
        if in_wall {
            return Voxel {
                hu: HU_SOFT,
                label: Label::Body,
            };
        }
        if ph.aorta.iter().any(|t| t.contains(p)) {
            return Voxel {
                hu: HU_AORTA,
                label: Label::Aorta,
            };
        }
        if ph.pulmonary_arteries.iter().any(|t| t.contains(p)) {
            return Voxel {
                hu: HU_PULMONARY_ARTERY,
                label: Label::Vessel,
            };
        }
        if let Some(hu) = bone(x, y, z, a, b) {
            return Voxel {
                hu,
                label: Label::Bone,
            };
        }
        if ph.clavicles.iter().any(|t| t.contains(p)) {
            let hu = if ph.clavicles.iter().any(|t| t.depth(p) < -3.0) {
                HU_CANCELLOUS
            } else {
                HU_CORTEX
            };
            return Voxel {
                hu,
                label: Label::Bone,
            };
        }
        if let Some(hu) = spine_soft(x, y) {
            return Voxel {
                hu,
                label: Label::Body,
            };
        }
        if in_heart(x, y, z) {
            return Voxel {
                hu: HU_HEART,
                label: Label::Heart,
            };
        }
        if ph.soft_tubes.iter().any(|t| t.contains(p)) {
            return Voxel {
                hu: HU_SOFT,
                label: Label::Body,
            };
        }
        if lung_region(x, y, z) {
            if let Some(tile) = self.tiles.get(tile_index(y) * GRID_TILES + tile_index(x)) {
                for &i in tile {
                    if ph.vessels.get(i as usize).is_some_and(|t| t.contains(p)) {
                        return Voxel {
                            hu: HU_VESSEL,
                            label: Label::Vessel,
                        };
                    }
                }
            }
            return Voxel {
                hu: HU_LUNG,
                label: Label::Lung,
            };
        }
        if let Some(hu) = rib_cartilage(x, y, z, a, b) {
            return Voxel {
                hu,
                label: Label::Body,
            };
        }
        // Soft-tissue layers from the skin inwards.
        if !in_ellipse(x, y, 0.0, 0.0, a - 2.0, b - 2.0) {
            return Voxel {
                hu: HU_SKIN,
                label: Label::Body,
            };
        }
        let k = (a / 160.0).min(1.0);
        if !in_ellipse(x, y, 0.0, 0.0, a - 12.0 * k, b - 12.0 * k) {
            return Voxel {
                hu: HU_FAT,
                label: Label::Body,
            };
        }
        if !in_ellipse(x, y, 0.0, 0.0, a - 25.0 * k, b - 25.0 * k) {
            return Voxel {
                hu: HU_MUSCLE,
                label: Label::Body,
            };
        }
        // Inside the thoracic cavity but not lung: below the diaphragm, or mediastinum.
        let s = if x < 0.0 { -1.0 } else { 1.0 };
        if z < dome_z(s, x, y) || z < -90.0 {
            return Voxel {
                hu: abdomen(x, y, z),
                label: Label::Body,
            };
        }
        if in_pericardial_fat(x, y, z) {
            return Voxel {
                hu: HU_FAT,
                label: Label::Body,
            };
        }
        Voxel {
            hu: HU_MEDIASTINAL_FAT,
            label: Label::Body,
        }
    }
}

/// Organs below the diaphragm: liver on the right, stomach with a gas bubble and spleen on the left.
fn abdomen(x: f64, y: f64, z: f64) -> f64 {
    let gas = {
        let u = (x - 55.0) / 30.0;
        let v = (y + 5.0) / 25.0;
        let w = (z + 85.0) / 14.0;
        u * u + v * v + w * w < 1.0 && z > -85.0
    };
    if gas {
        return HU_AIR;
    }
    // The liver's left edge curves: it reaches past the midline in front and stays right behind.
    if x < 30.0 - 0.004 * y * y - 0.15 * y {
        return HU_LIVER;
    }
    let u = (x - 85.0) / 35.0;
    let v = (y - 55.0) / 30.0;
    let w = (z + 115.0) / 45.0;
    if u * u + v * v + w * w < 1.0 {
        return HU_SPLEEN;
    }
    HU_STOMACH
}

/// Bone (vertebrae, ribs, sternum, scapulae) at the point, as a CT number, or `None`.
fn bone(x: f64, y: f64, z: f64, a: f64, b: f64) -> Option<f64> {
    if let Some(hu) = vertebra(x, y, z) {
        return Some(hu);
    }
    if let Some(hu) = rib(x, y, z, a, b) {
        return Some(hu);
    }
    // Sternum: manubrium (wider) above z = 70, body down to z = -75.
    if (-75.0..=112.0).contains(&z) {
        let half_width = if z > 70.0 { 24.0 } else { 16.0 };
        let cy = -(b - 19.0);
        if in_ellipse(x, y, 0.0, cy, half_width, 6.0) {
            let inner = in_ellipse(x, y, 0.0, cy, half_width - 2.0, 4.0);
            return Some(if inner { HU_CANCELLOUS } else { HU_CORTEX });
        }
    }
    // Scapulae: thin posterior plates 13–16 mm under the skin, between z = 40 and 130.
    if (40.0..=130.0).contains(&z) && y > 0.0 {
        let (dr, theta_n) = ring_coords(x, y, a - 14.5, b - 14.5);
        if dr.abs() < 1.8 && (0.18..=0.38).contains(&theta_n) {
            return Some(600.0);
        }
    }
    None
}

/// Vertebral body, posterior arch, spinous and transverse processes.
fn vertebra(x: f64, y: f64, z: f64) -> Option<f64> {
    if !(x.abs() < 40.0 && (25.0..=105.0).contains(&y)) {
        return None;
    }
    let phase = z.rem_euclid(VERTEBRA_PERIOD);
    let in_disc = phase < DISC_HEIGHT;
    let dx = x;
    let dy = y - 45.0;
    let r = (dx * dx + dy * dy).sqrt();
    if r < 17.0 {
        if in_disc {
            return None; // the disc is soft tissue, see spine_soft
        }
        let near_endplate = !(DISC_HEIGHT + 1.5..=VERTEBRA_PERIOD - 1.5).contains(&phase);
        return Some(if r > 15.0 || near_endplate {
            HU_CORTEX
        } else {
            HU_CANCELLOUS
        });
    }
    if in_disc {
        return None;
    }
    // Posterior arch around the canal (centre y = 72, radius 9): a ring 9–14 mm, on the posterior side.
    let cy = y - 72.0;
    let rc = (x * x + cy * cy).sqrt();
    if (9.0..14.0).contains(&rc) && y > 62.0 && phase > 9.0 {
        return Some(HU_CORTEX);
    }
    // Spinous process pointing back.
    if phase > 11.0 && phase < 25.0 && in_ellipse(x, y, 0.0, 92.0, 4.0, 10.0) {
        return Some(HU_CORTEX);
    }
    // Transverse processes.
    if phase > 13.0 && phase < 23.0 && (13.0..36.0).contains(&x.abs()) && (y - 64.0).abs() < 5.0 {
        return Some(if (y - 64.0).abs() < 2.5 && x.abs() < 33.0 {
            HU_CANCELLOUS
        } else {
            HU_CORTEX
        });
    }
    None
}

/// Intervertebral disc (reached only at disc levels, where [`vertebra`] found no bone), spinal canal (CSF) and
/// cord.
fn spine_soft(x: f64, y: f64) -> Option<f64> {
    if !(x.abs() < 20.0 && (25.0..=85.0).contains(&y)) {
        return None;
    }
    let dy = y - 45.0;
    if x * x + dy * dy < 17.0 * 17.0 {
        return Some(HU_DISC);
    }
    let cy = y - 72.0;
    let rc2 = x * x + cy * cy;
    if rc2 < 5.0 * 5.0 {
        return Some(HU_CORD);
    }
    if rc2 < 9.0 * 9.0 {
        return Some(HU_CSF);
    }
    None
}

/// Radial offset (mm, positive outside) of (x, y) from the ellipse with semi-axes (ea, eb), measured along the
/// ray from the centre, and the angle from the posterior midline normalised to [0, 1] (0 back, 1 front).
fn ring_coords(x: f64, y: f64, ea: f64, eb: f64) -> (f64, f64) {
    let len = (x * x + y * y).sqrt();
    let rho = ((x / ea).powi(2) + (y / eb).powi(2)).sqrt();
    let dr = if rho > 0.0 {
        len * (1.0 - 1.0 / rho)
    } else {
        -ea.min(eb)
    };
    let theta = x.abs().atan2(y); // 0 at +y (posterior), π at −y (anterior)
    (dr, theta / std::f64::consts::PI)
}

/// Height of rib `i` (0 = first rib) at normalised angle `theta_n` from the back: ribs start at the spine every
/// 24 mm and drop 100 mm on their way to the front, so an axial slice cuts each rib in a short oblique arc.
fn rib_z(i: f64, theta_n: f64) -> f64 {
    125.0 - 24.0 * i - 100.0 * theta_n.powf(1.3)
}

/// Where the bony part of rib `i` ends (normalised angle); the rest up to 0.93 is costal cartilage. Ribs 8–12
/// are shorter.
fn rib_end(i: f64) -> f64 {
    if i < 7.0 {
        0.78
    } else {
        0.78 - 0.06 * (i - 6.0)
    }
}

/// Which rib (0..12) runs through the plane near (z, theta_n), with its height offset.
fn nearest_rib(z: f64, theta_n: f64) -> Option<(f64, f64)> {
    let guess = ((125.0 - 100.0 * theta_n.powf(1.3) - z) / 24.0).round();
    for i in [guess - 1.0, guess, guess + 1.0] {
        if (0.0..12.0).contains(&i) {
            let dz = z - rib_z(i, theta_n);
            if dz.abs() < 5.0 {
                return Some((i, dz));
            }
        }
    }
    None
}

/// Bony rib cross-section (4 mm radially × 5 mm in z, cortex around marrow).
fn rib(x: f64, y: f64, z: f64, a: f64, b: f64) -> Option<f64> {
    if z > 130.0 {
        return None;
    }
    let (dr, theta_n) = ring_coords(x, y, a - 21.0, b - 21.0);
    if dr.abs() >= 4.0 || theta_n < 0.08 {
        return None;
    }
    let (i, dz) = nearest_rib(z, theta_n)?;
    if theta_n > rib_end(i) {
        return None;
    }
    let d = (dr / 4.0).powi(2) + (dz / 5.0).powi(2);
    if d >= 1.0 {
        return None;
    }
    Some(if d > 0.45 {
        HU_RIB_CORTEX
    } else {
        HU_RIB_MARROW
    })
}

/// Costal cartilage joining the ribs to the sternum.
fn rib_cartilage(x: f64, y: f64, z: f64, a: f64, b: f64) -> Option<f64> {
    if z > 130.0 {
        return None;
    }
    let (dr, theta_n) = ring_coords(x, y, a - 21.0, b - 21.0);
    if dr.abs() >= 3.5 || theta_n > 0.93 {
        return None;
    }
    let (i, dz) = nearest_rib(z, theta_n)?;
    if i >= 10.0 || theta_n <= rib_end(i) || dz.abs() > 5.0 {
        return None;
    }
    Some(HU_CARTILAGE)
}

/// Distance helper kept for tests: how far `p` is from the nearest nodule surface (negative inside).
#[cfg(test)]
pub(crate) fn nodule_depth(n: &Nodule, p: Vec3) -> f64 {
    crate::geom::norm(sub(p, n.centre)) - n.diameter_mm / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points_have_known_tissue() {
        let ph = ChestPhantom::new();
        // Air in front of the chest.
        assert_eq!(
            ph.sample([0.0, -140.0, 0.0]),
            Voxel {
                hu: -1000.0,
                label: Label::Background
            }
        );
        // Middle of the right lung, away from the hilum (vessels possible, so check the lung region instead).
        assert!(lung_region(-95.0, 20.0, 60.0));
        // Aorta: descending aorta axis.
        assert_eq!(ph.sample([31.0, 33.0, -30.0]).label, Label::Aorta);
        assert_eq!(ph.sample([31.0, 33.0, -30.0]).hu, 200.0);
        // Heart centre.
        assert_eq!(ph.sample([22.0, -22.0, -40.0]).label, Label::Heart);
        // Trachea lumen.
        assert_eq!(
            ph.sample([0.0, 9.0, 100.0]),
            Voxel {
                hu: -1000.0,
                label: Label::Airway
            }
        );
        // Vertebral body centre (cancellous) mid-vertebra.
        assert_eq!(
            ph.sample([0.0, 45.0, 17.0]),
            Voxel {
                hu: 250.0,
                label: Label::Bone
            }
        );
        // Disc level.
        assert_eq!(ph.sample([0.0, 45.0, 3.0]).hu, 80.0);
        // Liver below the right dome.
        assert_eq!(ph.sample([-60.0, 0.0, -110.0]).hu, 60.0);
    }

    #[test]
    fn nodule_centres_are_nodule_and_surrounded_by_lung() {
        let ph = ChestPhantom::new();
        for n in ph.nodules() {
            let v = ph.sample(n.centre);
            assert_eq!(v.label, Label::Nodule, "{}", n.location);
            assert_eq!(v.hu, n.hu);
            // Just outside the sphere, along x, the region is lung.
            let r = n.diameter_mm / 2.0;
            let outside = [n.centre[0] + r + 1.0, n.centre[1], n.centre[2]];
            assert!(
                lung_region(outside[0], outside[1], outside[2]),
                "{}",
                n.location
            );
            assert!(nodule_depth(n, outside) > 0.0);
        }
    }

    #[test]
    fn vessel_tree_is_deterministic_and_tapers() {
        let a = ChestPhantom::new();
        let b = ChestPhantom::new();
        assert_eq!(a.vessels, b.vessels);
        assert!(a.vessel_segments() > 100, "{}", a.vessel_segments());
        let thickest = a.vessels.iter().map(|t| t.ra).fold(0.0, f64::max);
        let thinnest = a.vessels.iter().map(|t| t.rb).fold(f64::MAX, f64::min);
        assert!(thickest >= 4.5 && thinnest < 0.7, "{thickest} {thinnest}");
        // Every child starts no thicker than its parent ends.
        assert!(a.vessels.iter().all(|t| t.rb < t.ra));
    }

    #[test]
    fn rib_cross_section_appears_at_its_height() {
        // Rib 3 (i = 3) at the side (theta_n = 0.5): z = 125 − 72 − 100·0.5^1.3.
        let z = rib_z(3.0, 0.5);
        let (a, b) = body_semi_axes(z);
        let x = a - 21.0; // lateral point on the rib ring
        assert!(rib(x, 0.0, z, a, b).is_some());
        assert!(rib(x, 0.0, z + 10.0, a, b).is_none());
    }

    #[test]
    fn lungs_stop_at_the_diaphragm() {
        assert!(lung_region(-70.0, 5.0, -40.0));
        assert!(!lung_region(-70.0, 5.0, -55.0));
    }
}
