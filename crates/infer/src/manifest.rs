//! Model packages: `models/<id>/manifest.json` says what a model is, what it accepts and what it outputs.
//!
//! The manifest is the contract between the training code (which writes it), the server (which lists and serves
//! packages), the viewer (which decides whether a model matches the open series and how to show its outputs) and the
//! runtime here (which builds the architecture and prepares its input).

use serde::{Deserialize, Serialize};
use snafu::{ensure, ResultExt, Snafu};

/// Why a manifest was refused.
#[derive(Debug, Snafu)]
pub enum ManifestError {
    #[snafu(display("model manifest is not valid JSON: {source}"))]
    Json { source: serde_json::Error },
    #[snafu(display("model manifest {id:?}: {problem}"))]
    Invalid { id: String, problem: String },
}

/// One model package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelManifest {
    /// Stable identifier, also the package's folder name (`cxr-pneumonia`).
    pub id: String,
    /// Human-readable name shown in the AI panel.
    pub name: String,
    /// Version of the trained weights (changes whenever the weights do).
    pub version: String,
    pub task: Task,
    pub architecture: Architecture,
    pub input: InputSpec,
    pub outputs: Vec<OutputLabel>,
    pub weights: WeightsRef,
    /// The model card (Markdown) in the same folder.
    pub card: String,
    /// Shown next to every result: what the output is for and what it is not.
    pub disclaimer: String,
    /// Where it runs: `browser` (WebGPU, CPU fallback; the default), `server`, or either of the two with a
    /// preference (`server-or-browser`, `browser-or-server`: the first is the default, the reader may force the
    /// other). See [`RunsOn`].
    #[serde(default = "default_runs_on")]
    pub runs_on: RunsOn,
    /// For a worklist triage model: the output whose probability is the study's triage score (the study list
    /// can be sorted by it — triage support, not a diagnosis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage_label: Option<String>,
}

fn default_runs_on() -> RunsOn {
    RunsOn::Browser
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// One score per label for the whole image (labels are mutually exclusive: softmax).
    Classification,
    /// A label per pixel.
    Segmentation,
}

/// Where a model may run. `browser` and `server` keep the meaning they always had (a `server` model is never
/// run in the browser); the two `…-or-…` values allow both places, the first named being the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunsOn {
    /// In the browser's AI worker (WebGPU, CPU fallback).
    Browser,
    /// Only on the Lumen server (its AI jobs); the browser's worker refuses it.
    Server,
    /// Either place, on the server unless the reader (or a browser-only setting) asks for the browser.
    ServerOrBrowser,
    /// Either place, in the browser unless the reader asks for the server.
    BrowserOrServer,
}

/// One of the two places a model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    Browser,
    Server,
}

impl RunsOn {
    /// Whether the browser's AI worker may run the model.
    pub fn in_browser(self) -> bool {
        self != RunsOn::Server
    }

    /// Where the model runs when nobody chooses: the first place the manifest names.
    pub fn preferred(self) -> Place {
        match self {
            RunsOn::Browser | RunsOn::BrowserOrServer => Place::Browser,
            RunsOn::Server | RunsOn::ServerOrBrowser => Place::Server,
        }
    }

    /// Whether the reader may pick the other place (the manifest allows both).
    pub fn either(self) -> bool {
        matches!(self, RunsOn::ServerOrBrowser | RunsOn::BrowserOrServer)
    }

    /// The manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RunsOn::Browser => "browser",
            RunsOn::Server => "server",
            RunsOn::ServerOrBrowser => "server-or-browser",
            RunsOn::BrowserOrServer => "browser-or-server",
        }
    }
}

/// The network and its hyper-parameters; enough to build it before loading weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Architecture {
    /// A small 2D CNN classifier (`arch::Classifier2d`).
    #[serde(rename = "classifier-2d")]
    Classifier2d(Classifier2dSpec),
    /// A small 2D U-Net labelling every pixel (`arch::Unet2d`).
    #[serde(rename = "unet-2d")]
    Unet2d(Unet2dSpec),
    /// A MeshNet-style 3D network labelling every voxel of a volume (`arch::Meshnet3d`): the series is resampled
    /// to [`InputSpec::voxel_mm`] and run in blocks of [`InputSpec::size`]³ voxels.
    #[serde(rename = "meshnet-3d")]
    Meshnet3d(Meshnet3dSpec),
}

/// Hyper-parameters of the 3D MeshNet (`arch::Meshnet3d`, feature `runtime`), as written in a model manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meshnet3dSpec {
    /// Input channels (1 for CT numbers through a window).
    pub in_channels: usize,
    /// Channels of every hidden layer.
    pub channels: usize,
    /// Dilation of each 3×3×3 layer, in order.
    pub dilations: Vec<usize>,
    /// Number of classes (logits per voxel), background included.
    pub classes: usize,
}

impl Meshnet3dSpec {
    /// How far (voxels) an output depends on the input: each 3×3×3 layer of dilation `d` reaches `d` further.
    pub fn receptive_radius(&self) -> usize {
        self.dilations.iter().sum()
    }
}

/// Hyper-parameters of the 2D U-Net (`arch::Unet2d`, feature `runtime`), as written in a model manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unet2dSpec {
    /// Input channels (1 for grey images).
    pub in_channels: usize,
    /// Channels of each encoder level, finest first; each further level halves the resolution.
    pub widths: Vec<usize>,
    /// Number of classes (logits per pixel), background included.
    pub classes: usize,
}

/// Hyper-parameters of the 2D classifier (`arch::Classifier2d`, feature `runtime`), as written in a model manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classifier2dSpec {
    /// Input channels (1 for grey images).
    pub in_channels: usize,
    /// Output channels of each block; each block halves the resolution.
    pub widths: Vec<usize>,
    /// Number of classes (logits).
    pub classes: usize,
    /// Dropout before the linear head (training only).
    #[serde(default)]
    pub dropout: f64,
}

/// What the model expects, and how an image from the viewer is turned into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// DICOM modalities the model applies to (`DX`, `CR`).
    pub modalities: Vec<String>,
    /// Body part (DICOM Body Part Examined) it was trained on, for display and matching when present.
    #[serde(default)]
    pub body_parts: Vec<String>,
    /// Which image the model sees.
    pub source: InputSource,
    /// Square side the image is resized to (area averaging), in pixels. For a 3D model: the side of the cubic
    /// blocks (voxels) the resampled volume is run in.
    pub size: usize,
    /// `(x - mean) / std` on the [0, 1] grey levels after resizing.
    pub mean: f32,
    pub std: f32,
    /// The fixed window for [`InputSource::ModalityWindow`] (ignored otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<FixedWindow>,
    /// For a 3D model: the isotropic voxel size (mm) the series is resampled to before it is run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voxel_mm: Option<f32>,
}

/// A window in modality units (e.g. Hounsfield units), applied as LINEAR_EXACT (`(v − center) / width + ½`,
/// clamped to [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FixedWindow {
    pub center: f32,
    pub width: f32,
}

/// The image handed to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputSource {
    /// The displayed grey levels in [0, 1]: modality LUT, the file's default VOI (or a min/max window), and
    /// MONOCHROME1 inverted, so that bone is bright — what a radiologist sees and what the training PNGs hold.
    DisplayedGrey,
    /// The modality values (CT: Hounsfield units) through the manifest's fixed [`InputSpec::window`], whatever
    /// window the user has set: the model sees the same contrast on every display.
    ModalityWindow,
}

/// One output class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputLabel {
    /// Machine name (`pneumonia`).
    pub name: String,
    /// Shown to the user.
    pub display: String,
    /// RGB colour for overlays and badges.
    pub colour: [u8; 3],
    /// Coded concept for DICOM SR/SEG.
    pub code: Code,
}

/// A coded concept (scheme designator, value, meaning), as DICOM writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    pub scheme: String,
    pub value: String,
    pub meaning: String,
}

/// The weights file of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsRef {
    /// File name in the package folder (safetensors).
    pub file: String,
    /// Lower-case hex SHA-256 of the file; checked before loading.
    pub sha256: String,
    /// Size in bytes, for download progress.
    pub bytes: u64,
    /// Stored element type of every tensor in the file: `f32` or `f16` ([`WeightsDtype`]). The runtime computes in
    /// f32 whatever the file stores; f16 halves the download.
    pub dtype: String,
}

/// The element type a package's weights are stored in (`weights.dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsDtype {
    F32,
    F16,
}

impl WeightsDtype {
    /// `f32` / `f16`, as in the manifest; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "f32" => Some(Self::F32),
            "f16" => Some(Self::F16),
            _ => None,
        }
    }

    /// The manifest's spelling (`f32`, `f16`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
        }
    }

    /// The safetensors header's spelling (`F32`, `F16`).
    pub fn safetensors_name(self) -> &'static str {
        match self {
            Self::F32 => "F32",
            Self::F16 => "F16",
        }
    }
}

impl WeightsRef {
    /// The declared element type; `None` for a value [`ModelManifest::validate`] refuses.
    pub fn element_type(&self) -> Option<WeightsDtype> {
        WeightsDtype::parse(&self.dtype)
    }
}

impl ModelManifest {
    /// Parses and checks a manifest.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        let m: ModelManifest = serde_json::from_str(text).context(JsonSnafu)?;
        m.validate()?;
        Ok(m)
    }

    /// Checks what serde cannot: consistent sizes and label counts.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let bad = |problem: String| InvalidSnafu { id: self.id.clone(), problem };
        ensure!(
            !self.id.is_empty() && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            bad("the id must be lower-case letters, digits and '-'".into())
        );
        ensure!(self.input.size >= 8 && self.input.size <= 2048, bad(format!("input size {} out of range", self.input.size)));
        ensure!(self.input.std > 0.0, bad("input std must be positive".into()));
        ensure!(
            self.weights.sha256.len() == 64 && self.weights.sha256.bytes().all(|b| b.is_ascii_hexdigit()),
            bad("weights.sha256 must be 64 hex digits".into())
        );
        ensure!(
            self.weights.element_type().is_some(),
            bad(format!("weights.dtype must be \"f32\" or \"f16\", not {:?}", self.weights.dtype))
        );
        match &self.architecture {
            Architecture::Classifier2d(spec) => {
                ensure!(self.task == Task::Classification, bad("a classifier-2d architecture needs task classification".into()));
                ensure!(
                    spec.classes == self.outputs.len(),
                    bad(format!("the architecture has {} classes but {} outputs are listed", spec.classes, self.outputs.len()))
                );
                ensure!(!spec.widths.is_empty(), bad("classifier-2d needs at least one block".into()));
                let down = 1usize << spec.widths.len();
                ensure!(
                    self.input.size % down == 0,
                    bad(format!("input size {} is not divisible by 2^{} (one pooling per block)", self.input.size, spec.widths.len()))
                );
            }
            Architecture::Unet2d(spec) => {
                ensure!(self.task == Task::Segmentation, bad("a unet-2d architecture needs task segmentation".into()));
                ensure!(
                    spec.classes == self.outputs.len(),
                    bad(format!("the architecture has {} classes but {} outputs are listed", spec.classes, self.outputs.len()))
                );
                ensure!(spec.classes >= 2 && spec.classes <= 255, bad("unet-2d needs 2 to 255 classes (background first)".into()));
                ensure!(spec.widths.len() >= 2, bad("unet-2d needs at least two levels".into()));
                let down = 1usize << (spec.widths.len() - 1);
                ensure!(
                    self.input.size % down == 0,
                    bad(format!("input size {} is not divisible by 2^{} (one pooling per level)", self.input.size, spec.widths.len() - 1))
                );
            }
            Architecture::Meshnet3d(spec) => {
                ensure!(self.task == Task::Segmentation, bad("a meshnet-3d architecture needs task segmentation".into()));
                ensure!(
                    spec.classes == self.outputs.len(),
                    bad(format!("the architecture has {} classes but {} outputs are listed", spec.classes, self.outputs.len()))
                );
                ensure!(spec.classes >= 2 && spec.classes <= 255, bad("meshnet-3d needs 2 to 255 classes (background first)".into()));
                ensure!(
                    !spec.dilations.is_empty() && spec.dilations.iter().all(|&d| (1..=64).contains(&d)),
                    bad("meshnet-3d needs at least one layer, dilations 1 to 64".into())
                );
                ensure!(spec.in_channels == 1 && spec.channels > 0, bad("meshnet-3d takes one input channel".into()));
                ensure!(
                    self.input.voxel_mm.is_some_and(|v| v.is_finite() && (0.1..=20.0).contains(&v)),
                    bad("meshnet-3d needs input.voxel_mm between 0.1 and 20 (the resampling grid)".into())
                );
                ensure!(self.input.size <= 256, bad(format!("block size {} too large for a 3D model (≤ 256)", self.input.size)));
            }
        }
        if let Some(label) = &self.triage_label {
            ensure!(self.task == Task::Classification, bad("triage_label needs task classification".into()));
            ensure!(
                self.outputs.iter().any(|o| &o.name == label),
                bad(format!("triage_label {label:?} is not one of the outputs"))
            );
        }
        if self.input.source == InputSource::ModalityWindow {
            let ok = self.input.window.is_some_and(|w| w.width > 0.0 && w.center.is_finite());
            ensure!(ok, bad("input source modality-window needs a window with a positive width".into()));
        }
        Ok(())
    }

    /// The window and inversion that turn the frame's modality values into the model's grey input: the user's
    /// display (`display`, `invert`) for [`InputSource::DisplayedGrey`], the manifest's fixed window (never
    /// inverted) for [`InputSource::ModalityWindow`].
    pub fn input_window(&self, display: &lumen_frames::WindowPreset, invert: bool) -> (lumen_frames::WindowPreset, bool) {
        match (self.input.source, self.input.window) {
            (InputSource::ModalityWindow, Some(w)) => (
                lumen_frames::WindowPreset {
                    center: w.center as f64,
                    width: w.width as f64,
                    function: lumen_frames::WindowFunction::LinearExact,
                    explanation: None,
                },
                false,
            ),
            _ => (display.clone(), invert),
        }
    }

    /// The grey image this model sees for a decoded frame shown with the frame's own default window: the
    /// frame's modality values through [`Self::input_window`], or an RGB frame's luma. What the native runs
    /// (`lumen ai`, the server) use; the browser's worker does the same from the pixels the page sends. `None`
    /// for an empty frame.
    pub fn frame_input(&self, frame: &lumen_frames::DecodedFrame) -> Option<crate::GreyImage> {
        let grey = match &frame.pixels {
            lumen_frames::Pixels::Modality { values, .. } => {
                let (window, invert) = self.input_window(&frame.meta.default_window, frame.meta.invert);
                lumen_frames::displayed_grey(values, &window, invert)
            }
            lumen_frames::Pixels::Rgb8(rgb) => lumen_frames::rgb_luma(rgb),
        };
        crate::GreyImage::new(frame.meta.columns as usize, frame.meta.rows as usize, grey)
    }

    /// Whether the model labels a whole volume at once (a 3D architecture) rather than one image at a time.
    pub fn is_volumetric(&self) -> bool {
        matches!(self.architecture, Architecture::Meshnet3d(_))
    }

    /// The index of the triage output, for a triage model.
    pub fn triage_output(&self) -> Option<usize> {
        let label = self.triage_label.as_ref()?;
        self.outputs.iter().position(|o| &o.name == label)
    }

    /// True when the model applies to a series of this modality.
    pub fn matches_modality(&self, modality: &str) -> bool {
        self.input.modalities.iter().any(|m| m.eq_ignore_ascii_case(modality.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        r#"{
          "id": "cxr-test", "name": "Test", "version": "1", "task": "classification",
          "architecture": {"kind": "classifier-2d", "in_channels": 1, "widths": [8, 16], "classes": 2},
          "input": {"modalities": ["DX", "CR"], "source": "displayed-grey", "size": 64, "mean": 0.5, "std": 0.25},
          "outputs": [
            {"name": "a", "display": "A", "colour": [1, 2, 3], "code": {"scheme": "99LUMEN", "value": "a", "meaning": "A"}},
            {"name": "b", "display": "B", "colour": [1, 2, 3], "code": {"scheme": "SCT", "value": "233604007", "meaning": "Pneumonia"}}
          ],
          "weights": {"file": "w.safetensors", "sha256": "00000000000000000000000000000000000000000000000000000000000000ff", "bytes": 10, "dtype": "f32"},
          "card": "MODEL_CARD.md", "disclaimer": "test"
        }"#
        .into()
    }

    #[test]
    fn a_valid_manifest_parses_with_defaults() {
        let m = ModelManifest::from_json(&sample()).unwrap();
        assert_eq!(m.runs_on, RunsOn::Browser);
        assert!(m.matches_modality("dx") && m.matches_modality("CR ") && !m.matches_modality("CT"));
        assert_eq!(m.outputs[1].code.value, "233604007");
        assert_eq!(m.triage_output(), None);
        let triage = ModelManifest::from_json(&sample().replace(r#""card": "MODEL_CARD.md""#, r#""card": "MODEL_CARD.md", "triage_label": "b""#)).unwrap();
        assert_eq!(triage.triage_output(), Some(1));
        assert_eq!(m.weights.element_type(), Some(WeightsDtype::F32));
        let half = ModelManifest::from_json(&sample().replace(r#""dtype": "f32""#, r#""dtype": "f16""#)).unwrap();
        assert_eq!(half.weights.element_type(), Some(WeightsDtype::F16));
    }

    #[test]
    fn inconsistent_manifests_are_refused_with_the_reason() {
        let cases = [
            (r#""classes": 2"#, r#""classes": 3"#, "3 classes but 2 outputs"),
            (r#""size": 64"#, r#""size": 66"#, "not divisible"),
            (r#""std": 0.25"#, r#""std": 0"#, "std must be positive"),
            ("00000000000000000000000000000000000000000000000000000000000000ff", "abc", "64 hex digits"),
            (r#""dtype": "f32""#, r#""dtype": "bf16""#, r#"weights.dtype must be "f32" or "f16", not "bf16""#),
            (r#""dtype": "f32""#, r#""dtype": "F16""#, "weights.dtype must be"),
            (r#""id": "cxr-test""#, r#""id": "../etc""#, "lower-case"),
            (r#""card": "MODEL_CARD.md""#, r#""card": "MODEL_CARD.md", "triage_label": "c""#, "not one of the outputs"),
        ];
        for (from, to, why) in cases {
            let err = ModelManifest::from_json(&sample().replace(from, to)).unwrap_err().to_string();
            assert!(err.contains(why), "{to}: {err}");
        }
        assert!(matches!(ModelManifest::from_json("{"), Err(ManifestError::Json { .. })));
    }

    #[test]
    fn runs_on_keeps_its_old_meaning_and_may_name_both_places_with_a_preference() {
        let with = |v: &str| ModelManifest::from_json(&sample().replace(r#""card": "MODEL_CARD.md""#, &format!(r#""card": "MODEL_CARD.md", "runs_on": {v}"#)));
        // Old manifests: absent or "browser" = the browser only by default, "server" = never in the browser.
        let absent = ModelManifest::from_json(&sample()).unwrap().runs_on;
        assert_eq!((absent.in_browser(), absent.preferred(), absent.either()), (true, Place::Browser, false));
        let server = with(r#""server""#).unwrap().runs_on;
        assert_eq!((server.in_browser(), server.preferred(), server.either()), (false, Place::Server, false));
        let s_or_b = with(r#""server-or-browser""#).unwrap().runs_on;
        assert_eq!((s_or_b, s_or_b.in_browser(), s_or_b.preferred(), s_or_b.either()), (RunsOn::ServerOrBrowser, true, Place::Server, true));
        let b_or_s = with(r#""browser-or-server""#).unwrap().runs_on;
        assert_eq!((b_or_s.in_browser(), b_or_s.preferred(), b_or_s.either()), (true, Place::Browser, true));
        // Written back as read.
        let m = with(r#""server-or-browser""#).unwrap();
        assert!(serde_json::to_string(&m).unwrap().contains(r#""runs_on":"server-or-browser""#));
        assert_eq!(s_or_b.as_str(), "server-or-browser");
        // Anything else is refused, naming what is allowed (an "either" without a preference included).
        for bad in [r#""either""#, r#""gpu""#, r#""Server""#, "true"] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("server-or-browser") || err.contains("expected"), "{bad}: {err}");
        }
    }
}
