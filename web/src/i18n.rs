//! The words of the user interface, in English, Simplified Chinese, French and German: the language chosen in the
//! header (remembered in localStorage), else the browser's preferred language.
//!
//! Every label the app shows comes from here, so a translation never hides in a component. It must not translate
//! DICOM data (names, descriptions) — those are shown exactly as stored — nor format dates (see `dicom_text`).

use leptos::prelude::*;

/// A user-interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    De,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Every language, in the order the header's switch offers them.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Zh, Lang::Fr, Lang::De];

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
            Lang::Zh => "简体中文",
        }
    }

    /// The language chosen in the header earlier (localStorage `lumen.lang`), else the browser's.
    pub fn chosen() -> Lang {
        window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|tag| Lang::from_tag(&tag))
            .unwrap_or_else(Lang::from_browser)
    }

    /// Remembers `self` as the user's choice.
    pub fn remember(self) {
        if let Some(storage) = window().local_storage().ok().flatten() {
            // Private browsing may refuse: the choice then lasts for this page only.
            let _ = storage.set_item(STORAGE_KEY, self.tag());
        }
    }

    /// The first supported language among the browser's preferences (`navigator.languages`), English otherwise.
    pub fn from_browser() -> Lang {
        let nav = window().navigator();
        let mut tags: Vec<String> = nav
            .languages()
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        if let Some(lang) = nav.language() {
            tags.push(lang);
        }
        tags.iter()
            .find_map(|t| Lang::from_tag(t))
            .unwrap_or(Lang::En)
    }

    /// The language of a BCP 47 tag such as `fr-CH` (its primary subtag, case-insensitive), if supported.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "de" => Some(Lang::De),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The BCP 47 tag written into `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Zh => "zh-CN",
        }
    }
}

/// The localStorage key holding the chosen language.
const STORAGE_KEY: &str = "lumen.lang";

/// A fixed piece of user-interface text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    StudyListTitle,
    SearchPatientName,
    SearchPatientNameHint,
    FilterModality,
    AnyModality,
    DateFrom,
    DateTo,
    PreviousPage,
    NextPage,
    ClearSearch,
    ColPatientName,
    ColPatientId,
    ColStudyDate,
    ColModalities,
    ColDescription,
    ColAccession,
    ColSeries,
    ColInstances,
    LoadingStudies,
    NoStudies,
    NoStudiesMatching,
    LoadStudiesFailed,
    Retry,
    BackToStudyList,
    LoadingSeries,
    NoSeries,
    LoadSeriesFailed,
    ColSeriesNumber,
    ColSeriesDescription,
    ColBodyPart,
    SeriesListTitle,
    FactPatientId,
    FactStudyDate,
    FactAccession,
    NoStudySelected,
    PageNotFound,
    Source,
    OpenLocalFile,
    Searching,
    LocalFileTitle,
    NoLocalFile,
    OpenLocalFolder,
    ReadingFiles,
    CancelReading,
    FilesNotShown,
    NoImageInFiles,
    Layout,
    WindowPreset,
    Fit,
    Rotate,
    FlipH,
    FlipV,
    Invert,
    Reset,
    Cine,
    Tags,
    ToolWindowLevel,
    ToolPan,
    ToolZoom,
    ToolScroll,
    FramesFailed,
    LoadingImages,
    NoImages,
    FrameFailed,
    DropSeriesHere,
    ImageIndex,
    KeyScroll,
    KeyScrollFar,
    KeyPresets,
    KeyFlip,
    KeyHelp,
    RightDrag,
    Close,
    SearchTags,
    Language,
    Smooth,
    Inverted,
    /// Overlay abbreviations: Series Number, Instance Number, window width and centre (PS3.3 C.11.2.1.2), zoom,
    /// Slice Location (0020,1041), Slice Thickness (0018,0050), cine rate.
    AbbrSeries,
    AbbrImage,
    AbbrWindowWidth,
    AbbrWindowCenter,
    AbbrZoom,
    AbbrLocation,
    AbbrThickness,
    AbbrCine,
    PresetLung,
    PresetMediastinum,
    PresetAbdomen,
    PresetBone,
    PresetBrain,
    /// A window stored in the file (Window Center/Width (0028,1050/1051)) without an explanation: "File 1"…
    WindowFromFile,
    /// The window spanning the frame's modality values.
    AutoWindow,
    /// Tag browser: an odd-group tag, or an even one the dictionary does not know.
    PrivateTag,
    UnknownTag,
    Ai,
    AiPanelTitle,
    AiRun,
    AiRunning,
    AiDownloading,
    AiPreparing,
    AiCancel,
    AiAuto,
    AiNoModels,
    AiNoImage,
    AiLoadingModels,
    AiCpu,
    AiFix,
    AiTriageNote,
    AiModelCard,
    QcOk,
    QcRotated90,
    QcRotated180,
    QcRotated270,
    QcMirrored,
    QcInverted,
    QcClippedBright,
    QcClippedDark,
    QcNoCollimation,
    QcLowContrast,
    AiSave,
    AiSaving,
    AiStored,
}

/// The text of `msg` in `lang`.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    use Lang::*;
    use Msg::*;
    match (msg, lang) {
        (StudyListTitle, En) => "Studies",
        (StudyListTitle, Fr) => "Examens",
        (StudyListTitle, De) => "Studien",
        (SearchPatientName, En) => "Search patient name",
        (SearchPatientName, Fr) => "Rechercher un patient",
        (SearchPatientName, De) => "Patientenname suchen",
        (SearchPatientNameHint, En) => "Beginning of the family name, e.g. DOE",
        (SearchPatientNameHint, Fr) => "Début du nom de famille, p. ex. DUPONT",
        (SearchPatientNameHint, De) => "Anfang des Nachnamens, z. B. MÜLLER",
        (FilterModality, En) => "Modality",
        (FilterModality, Fr) => "Modalité",
        (FilterModality, De) => "Modalität",
        (AnyModality, En) => "Any modality",
        (AnyModality, Fr) => "Toutes modalités",
        (AnyModality, De) => "Alle Modalitäten",
        (DateFrom, En) => "From",
        (DateFrom, Fr) => "Du",
        (DateFrom, De) => "Von",
        (DateTo, En) => "To",
        (DateTo, Fr) => "Au",
        (DateTo, De) => "Bis",
        (PreviousPage, En) => "‹ Previous",
        (PreviousPage, Fr) => "‹ Précédents",
        (PreviousPage, De) => "‹ Zurück",
        (NextPage, En) => "Next ›",
        (NextPage, Fr) => "Suivants ›",
        (NextPage, De) => "Weiter ›",
        (ClearSearch, En) => "Clear",
        (ClearSearch, Fr) => "Effacer",
        (ClearSearch, De) => "Zurücksetzen",
        (ColPatientName, En) => "Patient name",
        (ColPatientName, Fr) => "Nom du patient",
        (ColPatientName, De) => "Patientenname",
        (ColPatientId, En) => "Patient ID",
        (ColPatientId, Fr) => "ID patient",
        (ColPatientId, De) => "Patienten-ID",
        (ColStudyDate, En) => "Study date",
        (ColStudyDate, Fr) => "Date",
        (ColStudyDate, De) => "Datum",
        (ColModalities, En) => "Modalities",
        (ColModalities, Fr) => "Modalités",
        (ColModalities, De) => "Modalitäten",
        (ColDescription, En) => "Description",
        (ColDescription, Fr) => "Description",
        (ColDescription, De) => "Beschreibung",
        (ColAccession, En) => "Accession #",
        (ColAccession, Fr) => "N° d'accès",
        (ColAccession, De) => "Auftragsnr.",
        (ColSeries, En) => "Series",
        (ColSeries, Fr) => "Séries",
        (ColSeries, De) => "Serien",
        (ColInstances, En) => "Images",
        (ColInstances, Fr) => "Images",
        (ColInstances, De) => "Bilder",
        (LoadingStudies, En) => "Loading studies…",
        (LoadingStudies, Fr) => "Chargement des examens…",
        (LoadingStudies, De) => "Studien werden geladen…",
        (NoStudies, En) => "No studies in this archive.",
        (NoStudies, Fr) => "Aucun examen dans cette archive.",
        (NoStudies, De) => "Keine Studien in diesem Archiv.",
        (NoStudiesMatching, En) => "No study matches this patient name.",
        (NoStudiesMatching, Fr) => "Aucun examen pour ce nom de patient.",
        (NoStudiesMatching, De) => "Keine Studie zu diesem Patientennamen.",
        (LoadStudiesFailed, En) => "The study list could not be loaded",
        (LoadStudiesFailed, Fr) => "La liste des examens n'a pas pu être chargée",
        (LoadStudiesFailed, De) => "Die Studienliste konnte nicht geladen werden",
        (Retry, En) => "Retry",
        (Retry, Fr) => "Réessayer",
        (Retry, De) => "Erneut versuchen",
        (BackToStudyList, En) => "← Study list",
        (BackToStudyList, Fr) => "← Liste des examens",
        (BackToStudyList, De) => "← Studienliste",
        (LoadingSeries, En) => "Loading series…",
        (LoadingSeries, Fr) => "Chargement des séries…",
        (LoadingSeries, De) => "Serien werden geladen…",
        (NoSeries, En) => "This study has no series.",
        (NoSeries, Fr) => "Cet examen ne contient aucune série.",
        (NoSeries, De) => "Diese Studie enthält keine Serien.",
        (LoadSeriesFailed, En) => "The series of this study could not be loaded",
        (LoadSeriesFailed, Fr) => "Les séries de cet examen n'ont pas pu être chargées",
        (LoadSeriesFailed, De) => "Die Serien dieser Studie konnten nicht geladen werden",
        (ColSeriesNumber, En) => "#",
        (ColSeriesNumber, Fr) => "N°",
        (ColSeriesNumber, De) => "Nr.",
        (ColSeriesDescription, En) => "Series description",
        (ColSeriesDescription, Fr) => "Description de la série",
        (ColSeriesDescription, De) => "Serienbeschreibung",
        (ColBodyPart, En) => "Body part",
        (ColBodyPart, Fr) => "Région",
        (ColBodyPart, De) => "Körperregion",
        (SeriesListTitle, En) => "Series",
        (SeriesListTitle, Fr) => "Séries",
        (SeriesListTitle, De) => "Serien",
        (FactPatientId, En) => "ID",
        (FactPatientId, Fr) => "ID",
        (FactPatientId, De) => "ID",
        (FactStudyDate, En) => "Date",
        (FactStudyDate, Fr) => "Date",
        (FactStudyDate, De) => "Datum",
        (FactAccession, En) => "Accession #",
        (FactAccession, Fr) => "N° d'accès",
        (FactAccession, De) => "Auftragsnr.",
        (NoStudySelected, En) => "No study was given: open one from the study list.",
        (NoStudySelected, Fr) => "Aucun examen indiqué : ouvrez-en un depuis la liste.",
        (NoStudySelected, De) => "Keine Studie angegeben: öffnen Sie eine aus der Studienliste.",
        (PageNotFound, En) => "This page does not exist.",
        (PageNotFound, Fr) => "Cette page n'existe pas.",
        (PageNotFound, De) => "Diese Seite existiert nicht.",
        (Source, En) => "Source",
        (Source, Fr) => "Source",
        (Source, De) => "Quelle",
        (Searching, En) => "Searching…",
        (Searching, Fr) => "Recherche…",
        (Searching, De) => "Suche läuft…",
        (OpenLocalFile, En) => "Open DICOM file…",
        (OpenLocalFile, Fr) => "Ouvrir un fichier DICOM…",
        (OpenLocalFile, De) => "DICOM-Datei öffnen…",
        (LocalFileTitle, En) => "Local file",
        (LocalFileTitle, Fr) => "Fichier local",
        (LocalFileTitle, De) => "Lokale Datei",
        (NoLocalFile, En) => "No file is open. The file you choose stays on this computer.",
        (NoLocalFile, Fr) => "Aucun fichier ouvert. Le fichier choisi reste sur cet ordinateur.",
        (NoLocalFile, De) => "Keine Datei geöffnet. Die gewählte Datei bleibt auf diesem Computer.",
        (OpenLocalFolder, En) => "Open folder…",
        (OpenLocalFolder, Fr) => "Ouvrir un dossier…",
        (OpenLocalFolder, De) => "Ordner öffnen…",
        (ReadingFiles, En) => "Reading the files on this computer…",
        (ReadingFiles, Fr) => "Lecture des fichiers sur cet ordinateur…",
        (ReadingFiles, De) => "Dateien auf diesem Computer werden gelesen…",
        (CancelReading, En) => "Cancel",
        (CancelReading, Fr) => "Annuler",
        (CancelReading, De) => "Abbrechen",
        (FilesNotShown, En) => "Not shown:",
        (FilesNotShown, Fr) => "Non affichés :",
        (FilesNotShown, De) => "Nicht angezeigt:",
        (NoImageInFiles, En) => "No image can be shown from the chosen files:",
        (NoImageInFiles, Fr) => {
            "Aucune image ne peut être affichée à partir des fichiers choisis :"
        }
        (NoImageInFiles, De) => "Aus den gewählten Dateien kann kein Bild angezeigt werden:",
        (Layout, En) => "Layout",
        (Layout, Fr) => "Disposition",
        (Layout, De) => "Layout",
        (Layout, Zh) => "布局",
        (WindowPreset, En) => "Window",
        (WindowPreset, Fr) => "Fenêtre",
        (WindowPreset, De) => "Fenster",
        (WindowPreset, Zh) => "窗宽窗位",
        (Fit, En) => "Fit",
        (Fit, Fr) => "Ajuster",
        (Fit, De) => "Einpassen",
        (Fit, Zh) => "适应窗口",
        (Rotate, En) => "Rotate 90°",
        (Rotate, Fr) => "Pivoter de 90°",
        (Rotate, De) => "90° drehen",
        (Rotate, Zh) => "旋转 90°",
        (FlipH, En) => "Flip horizontally",
        (FlipH, Fr) => "Miroir horizontal",
        (FlipH, De) => "Horizontal spiegeln",
        (FlipH, Zh) => "水平翻转",
        (FlipV, En) => "Flip vertically",
        (FlipV, Fr) => "Miroir vertical",
        (FlipV, De) => "Vertikal spiegeln",
        (FlipV, Zh) => "垂直翻转",
        (Invert, En) => "Invert",
        (Invert, Fr) => "Inverser",
        (Invert, De) => "Invertieren",
        (Invert, Zh) => "反色",
        (Reset, En) => "Reset",
        (Reset, Fr) => "Réinitialiser",
        (Reset, De) => "Zurücksetzen",
        (Reset, Zh) => "重置",
        (Cine, En) => "Cine",
        (Cine, Fr) => "Ciné",
        (Cine, De) => "Cine",
        (Cine, Zh) => "电影播放",
        (Tags, En) => "Tags",
        (Tags, Fr) => "Attributs",
        (Tags, De) => "Tags",
        (Tags, Zh) => "标签",
        (ToolWindowLevel, En) => "W/L",
        (ToolWindowLevel, Fr) => "F/N",
        (ToolWindowLevel, De) => "F/Z",
        (ToolWindowLevel, Zh) => "窗宽/窗位",
        (ToolPan, En) => "Pan",
        (ToolPan, Fr) => "Déplacer",
        (ToolPan, De) => "Verschieben",
        (ToolPan, Zh) => "平移",
        (ToolZoom, En) => "Zoom",
        (ToolZoom, Fr) => "Zoom",
        (ToolZoom, De) => "Zoom",
        (ToolZoom, Zh) => "缩放",
        (ToolScroll, En) => "Scroll",
        (ToolScroll, Fr) => "Défiler",
        (ToolScroll, De) => "Blättern",
        (ToolScroll, Zh) => "翻页",
        (FramesFailed, En) => "image(s) could not be shown",
        (FramesFailed, Fr) => "image(s) non affichable(s)",
        (FramesFailed, De) => "Bild(er) nicht darstellbar",
        (FramesFailed, Zh) => "幅图像无法显示",
        (LoadingImages, En) => "Loading images…",
        (LoadingImages, Fr) => "Chargement des images…",
        (LoadingImages, De) => "Bilder werden geladen…",
        (LoadingImages, Zh) => "正在加载图像…",
        (NoImages, En) => "No image",
        (NoImages, Fr) => "Aucune image",
        (NoImages, De) => "Kein Bild",
        (NoImages, Zh) => "无图像",
        (FrameFailed, En) => "This image cannot be shown:",
        (FrameFailed, Fr) => "Cette image ne peut pas être affichée :",
        (FrameFailed, De) => "Dieses Bild kann nicht angezeigt werden:",
        (FrameFailed, Zh) => "此图像无法显示：",
        (DropSeriesHere, En) => "Drop a series here",
        (DropSeriesHere, Fr) => "Déposez une série ici",
        (DropSeriesHere, De) => "Serie hierher ziehen",
        (DropSeriesHere, Zh) => "将序列拖放到此处",
        (ImageIndex, En) => "Image in series",
        (ImageIndex, Fr) => "Image dans la série",
        (ImageIndex, De) => "Bild in der Serie",
        (ImageIndex, Zh) => "序列中的图像",
        (KeyScroll, En) => "Previous / next image",
        (KeyScroll, Fr) => "Image précédente / suivante",
        (KeyScroll, De) => "Vorheriges / nächstes Bild",
        (KeyScroll, Zh) => "上一幅 / 下一幅图像",
        (KeyScrollFar, En) => "10 images · first / last",
        (KeyScrollFar, Fr) => "10 images · première / dernière",
        (KeyScrollFar, De) => "10 Bilder · erstes / letztes",
        (KeyScrollFar, Zh) => "10 幅图像 · 第一幅 / 最后一幅",
        (KeyPresets, En) => "CT windows: lung, mediastinum, abdomen, bone, brain",
        (KeyPresets, Fr) => "Fenêtres CT : poumon, médiastin, abdomen, os, cerveau",
        (KeyPresets, De) => "CT-Fenster: Lunge, Mediastinum, Abdomen, Knochen, Hirn",
        (KeyPresets, Zh) => "CT 窗：肺、纵隔、腹部、骨、脑",
        (KeyFlip, En) => "Flip horizontally · vertically",
        (KeyFlip, Fr) => "Miroir horizontal · vertical",
        (KeyFlip, De) => "Horizontal · vertikal spiegeln",
        (KeyFlip, Zh) => "水平 · 垂直翻转",
        (KeyHelp, En) => "Keyboard shortcuts",
        (KeyHelp, Fr) => "Raccourcis clavier",
        (KeyHelp, De) => "Tastenkürzel",
        (KeyHelp, Zh) => "键盘快捷键",
        (RightDrag, En) => "Right drag",
        (RightDrag, Fr) => "Glisser clic droit",
        (RightDrag, De) => "Rechts ziehen",
        (RightDrag, Zh) => "右键拖动",
        (Close, En) => "Close",
        (Close, Fr) => "Fermer",
        (Close, De) => "Schließen",
        (Close, Zh) => "关闭",
        (SearchTags, En) => "Search tag, name or value",
        (SearchTags, Fr) => "Chercher attribut, nom ou valeur",
        (SearchTags, De) => "Tag, Name oder Wert suchen",
        (SearchTags, Zh) => "搜索标签、名称或值",
        (Language, En) => "Language",
        (Language, Fr) => "Langue",
        (Language, De) => "Sprache",
        (Language, Zh) => "语言",
        (Smooth, En) => "Smooth",
        (Smooth, Fr) => "Lisser",
        (Smooth, De) => "Glätten",
        (Smooth, Zh) => "平滑",
        (Inverted, En) => "Inverted",
        (Inverted, Fr) => "Inversé",
        (Inverted, De) => "Invertiert",
        (Inverted, Zh) => "已反色",
        (AbbrSeries, En) => "Se",
        (AbbrSeries, Fr) => "Sé",
        (AbbrSeries, De) => "Se",
        (AbbrSeries, Zh) => "序列",
        (AbbrImage, En) => "Im",
        (AbbrImage, Fr) => "Im",
        (AbbrImage, De) => "Bi",
        (AbbrImage, Zh) => "图像",
        (AbbrWindowWidth, En) => "W",
        (AbbrWindowWidth, Fr) => "L",
        (AbbrWindowWidth, De) => "B",
        (AbbrWindowWidth, Zh) => "窗宽",
        (AbbrWindowCenter, En) => "L",
        (AbbrWindowCenter, Fr) => "C",
        (AbbrWindowCenter, De) => "Z",
        (AbbrWindowCenter, Zh) => "窗位",
        (AbbrZoom, En) => "Zoom",
        (AbbrZoom, Fr) => "Zoom",
        (AbbrZoom, De) => "Zoom",
        (AbbrZoom, Zh) => "缩放",
        (AbbrLocation, En) => "Loc",
        (AbbrLocation, Fr) => "Pos",
        (AbbrLocation, De) => "Pos",
        (AbbrLocation, Zh) => "位置",
        (AbbrThickness, En) => "Thk",
        (AbbrThickness, Fr) => "Ép",
        (AbbrThickness, De) => "SD",
        (AbbrThickness, Zh) => "层厚",
        (AbbrCine, En) => "Cine",
        (AbbrCine, Fr) => "Ciné",
        (AbbrCine, De) => "Cine",
        (AbbrCine, Zh) => "电影",
        (PresetLung, En) => "Lung",
        (PresetLung, Fr) => "Poumon",
        (PresetLung, De) => "Lunge",
        (PresetLung, Zh) => "肺窗",
        (PresetMediastinum, En) => "Mediastinum",
        (PresetMediastinum, Fr) => "Médiastin",
        (PresetMediastinum, De) => "Mediastinum",
        (PresetMediastinum, Zh) => "纵隔窗",
        (PresetAbdomen, En) => "Abdomen",
        (PresetAbdomen, Fr) => "Abdomen",
        (PresetAbdomen, De) => "Abdomen",
        (PresetAbdomen, Zh) => "腹部窗",
        (PresetBone, En) => "Bone",
        (PresetBone, Fr) => "Os",
        (PresetBone, De) => "Knochen",
        (PresetBone, Zh) => "骨窗",
        (PresetBrain, En) => "Brain",
        (PresetBrain, Fr) => "Cerveau",
        (PresetBrain, De) => "Gehirn",
        (PresetBrain, Zh) => "脑窗",
        (WindowFromFile, En) => "File",
        (WindowFromFile, Fr) => "Fichier",
        (WindowFromFile, De) => "Datei",
        (WindowFromFile, Zh) => "文件",
        (AutoWindow, En) => "Auto",
        (AutoWindow, Fr) => "Auto",
        (AutoWindow, De) => "Auto",
        (AutoWindow, Zh) => "自动",
        (PrivateTag, En) => "Private",
        (PrivateTag, Fr) => "Privé",
        (PrivateTag, De) => "Privat",
        (PrivateTag, Zh) => "私有",
        (UnknownTag, En) => "Unknown",
        (UnknownTag, Fr) => "Inconnu",
        (UnknownTag, De) => "Unbekannt",
        (UnknownTag, Zh) => "未知",
        (StudyListTitle, Zh) => "检查",
        (SearchPatientName, Zh) => "搜索患者姓名",
        (SearchPatientNameHint, Zh) => "姓氏开头，例如 DOE",
        (FilterModality, Zh) => "检查设备",
        (AnyModality, Zh) => "全部设备类型",
        (DateFrom, Zh) => "从",
        (DateTo, Zh) => "至",
        (PreviousPage, Zh) => "‹ 上一页",
        (NextPage, Zh) => "下一页 ›",
        (ClearSearch, Zh) => "清除",
        (ColPatientName, Zh) => "患者姓名",
        (ColPatientId, Zh) => "患者 ID",
        (ColStudyDate, Zh) => "检查日期",
        (ColModalities, Zh) => "模态",
        (ColDescription, Zh) => "描述",
        (ColAccession, Zh) => "检查号",
        (ColSeries, Zh) => "序列",
        (ColInstances, Zh) => "图像",
        (LoadingStudies, Zh) => "正在加载检查…",
        (NoStudies, Zh) => "此归档中没有检查。",
        (NoStudiesMatching, Zh) => "没有与此患者姓名匹配的检查。",
        (LoadStudiesFailed, Zh) => "无法加载检查列表",
        (Retry, Zh) => "重试",
        (BackToStudyList, Zh) => "← 检查列表",
        (LoadingSeries, Zh) => "正在加载序列…",
        (NoSeries, Zh) => "此检查没有序列。",
        (LoadSeriesFailed, Zh) => "无法加载此检查的序列",
        (ColSeriesNumber, Zh) => "#",
        (ColSeriesDescription, Zh) => "序列描述",
        (ColBodyPart, Zh) => "部位",
        (SeriesListTitle, Zh) => "序列",
        (FactPatientId, Zh) => "ID",
        (FactStudyDate, Zh) => "日期",
        (FactAccession, Zh) => "检查号",
        (NoStudySelected, Zh) => "未指定检查：请从检查列表中打开。",
        (PageNotFound, Zh) => "此页面不存在。",
        (Source, Zh) => "来源",
        (OpenLocalFile, Zh) => "打开 DICOM 文件…",
        (Searching, Zh) => "正在搜索…",
        (LocalFileTitle, Zh) => "本地文件",
        (NoLocalFile, Zh) => "未打开文件。所选文件保留在本机。",
        (OpenLocalFolder, Zh) => "打开文件夹…",
        (ReadingFiles, Zh) => "正在读取本机文件…",
        (CancelReading, Zh) => "取消",
        (FilesNotShown, Zh) => "未显示：",
        (NoImageInFiles, Zh) => "所选文件中没有可显示的图像：",
        (Ai, En) => "AI",
        (Ai, Fr) => "IA",
        (Ai, De) => "KI",
        (Ai, Zh) => "AI",
        (AiPanelTitle, En) => "AI assistance",
        (AiPanelTitle, Fr) => "Assistance IA",
        (AiPanelTitle, De) => "KI-Unterstützung",
        (AiPanelTitle, Zh) => "AI 辅助",
        (AiRun, En) => "Run",
        (AiRun, Fr) => "Lancer",
        (AiRun, De) => "Starten",
        (AiRun, Zh) => "运行",
        (AiRunning, En) => "Running…",
        (AiRunning, Fr) => "En cours…",
        (AiRunning, De) => "Läuft…",
        (AiRunning, Zh) => "运行中…",
        (AiDownloading, En) => "Downloading the model",
        (AiDownloading, Fr) => "Téléchargement du modèle",
        (AiDownloading, De) => "Modell wird geladen",
        (AiDownloading, Zh) => "正在下载模型",
        (AiPreparing, En) => "Preparing the model",
        (AiPreparing, Fr) => "Préparation du modèle",
        (AiPreparing, De) => "Modell wird vorbereitet",
        (AiPreparing, Zh) => "正在准备模型",
        (AiCancel, En) => "Cancel",
        (AiCancel, Fr) => "Annuler",
        (AiCancel, De) => "Abbrechen",
        (AiCancel, Zh) => "取消",
        (AiAuto, En) => "Run automatically on open",
        (AiAuto, Fr) => "Lancer automatiquement à l’ouverture",
        (AiAuto, De) => "Beim Öffnen automatisch starten",
        (AiAuto, Zh) => "打开时自动运行",
        (AiNoModels, En) => "No AI model applies to this image",
        (AiNoModels, Fr) => "Aucun modèle IA pour cette image",
        (AiNoModels, De) => "Kein KI-Modell für dieses Bild",
        (AiNoModels, Zh) => "没有适用于此图像的 AI 模型",
        (AiNoImage, En) => "No image in the active viewport",
        (AiNoImage, Fr) => "Aucune image dans la fenêtre active",
        (AiNoImage, De) => "Kein Bild im aktiven Fenster",
        (AiNoImage, Zh) => "当前视口没有图像",
        (AiLoadingModels, En) => "Loading the list of models…",
        (AiLoadingModels, Fr) => "Chargement des modèles…",
        (AiLoadingModels, De) => "Modelle werden geladen…",
        (AiLoadingModels, Zh) => "正在加载模型列表…",
        (AiCpu, En) => "CPU (no WebGPU)",
        (AiCpu, Fr) => "CPU (sans WebGPU)",
        (AiCpu, De) => "CPU (ohne WebGPU)",
        (AiCpu, Zh) => "CPU（无 WebGPU）",
        (AiFix, En) => "Correct the display",
        (AiFix, Fr) => "Corriger l’affichage",
        (AiFix, De) => "Anzeige korrigieren",
        (AiFix, Zh) => "校正显示",
        (AiTriageNote, En) => "Triage support, not a diagnosis",
        (AiTriageNote, Fr) => "Aide au tri, pas un diagnostic",
        (AiTriageNote, De) => "Triage-Hilfe, keine Diagnose",
        (AiTriageNote, Zh) => "分诊辅助，非诊断",
        (AiModelCard, En) => "Model card",
        (AiModelCard, Fr) => "Fiche du modèle",
        (AiModelCard, De) => "Modellkarte",
        (AiModelCard, Zh) => "模型说明",
        (QcOk, En) => "Acquisition looks standard",
        (QcOk, Fr) => "Acquisition standard",
        (QcOk, De) => "Aufnahme sieht regulär aus",
        (QcOk, Zh) => "采集看起来正常",
        (QcRotated90, En) => "Image appears rotated 90° clockwise",
        (QcRotated90, Fr) => "L’image semble tournée de 90° (sens horaire)",
        (QcRotated90, De) => "Bild scheint 90° im Uhrzeigersinn gedreht",
        (QcRotated90, Zh) => "图像似乎顺时针旋转了 90°",
        (QcRotated180, En) => "Image appears upside down",
        (QcRotated180, Fr) => "L’image semble à l’envers",
        (QcRotated180, De) => "Bild scheint auf dem Kopf zu stehen",
        (QcRotated180, Zh) => "图像似乎上下颠倒",
        (QcRotated270, En) => "Image appears rotated 90° counter-clockwise",
        (QcRotated270, Fr) => "L’image semble tournée de 90° (sens antihoraire)",
        (QcRotated270, De) => "Bild scheint 90° gegen den Uhrzeigersinn gedreht",
        (QcRotated270, Zh) => "图像似乎逆时针旋转了 90°",
        (QcMirrored, En) => "Image appears mirrored (left–right)",
        (QcMirrored, Fr) => "L’image semble inversée gauche–droite",
        (QcMirrored, De) => "Bild scheint seitenverkehrt",
        (QcMirrored, Zh) => "图像似乎左右镜像",
        (QcInverted, En) => "Grey scale appears inverted",
        (QcInverted, Fr) => "Les niveaux de gris semblent inversés",
        (QcInverted, De) => "Graustufen scheinen invertiert",
        (QcInverted, Zh) => "灰度似乎反转",
        (QcClippedBright, En) => "Exposure appears clipped (bright)",
        (QcClippedBright, Fr) => "Exposition écrêtée (clair)",
        (QcClippedBright, De) => "Belichtung scheint abgeschnitten (hell)",
        (QcClippedBright, Zh) => "曝光似乎截断（过亮）",
        (QcClippedDark, En) => "Exposure appears clipped (dark)",
        (QcClippedDark, Fr) => "Exposition écrêtée (sombre)",
        (QcClippedDark, De) => "Belichtung scheint abgeschnitten (dunkel)",
        (QcClippedDark, Zh) => "曝光似乎截断（过暗）",
        (QcNoCollimation, En) => "No collimation visible",
        (QcNoCollimation, Fr) => "Aucune collimation visible",
        (QcNoCollimation, De) => "Keine Einblendung sichtbar",
        (QcNoCollimation, Zh) => "未见准直",
        (QcLowContrast, En) => "Low contrast",
        (QcLowContrast, Fr) => "Contraste faible",
        (QcLowContrast, De) => "Geringer Kontrast",
        (QcLowContrast, Zh) => "对比度低",
        (AiSave, En) => "Save to archive",
        (AiSave, Fr) => "Enregistrer dans l’archive",
        (AiSave, De) => "Im Archiv speichern",
        (AiSave, Zh) => "保存到存档",
        (AiSaving, En) => "Saving to the archive…",
        (AiSaving, Fr) => "Enregistrement…",
        (AiSaving, De) => "Wird gespeichert…",
        (AiSaving, Zh) => "正在保存…",
        (AiStored, En) => "In the archive",
        (AiStored, Fr) => "Dans l’archive",
        (AiStored, De) => "Im Archiv",
        (AiStored, Zh) => "已存档",
    }
}

/// The count of a page of the study list: "N studies" when it holds every match, else which ones it shows
/// ("studies 51–100", with "and more" when a next page exists).
pub fn study_count(lang: Lang, offset: usize, n: usize, has_more: bool) -> String {
    if offset == 0 && !has_more {
        return match (lang, n) {
            (Lang::En, 1) => "1 study".to_string(),
            (Lang::En, n) => format!("{n} studies"),
            (Lang::Fr, 0 | 1) => format!("{n} examen"),
            (Lang::Fr, n) => format!("{n} examens"),
            (Lang::De, 1) => "1 Studie".to_string(),
            (Lang::De, n) => format!("{n} Studien"),
            (Lang::Zh, n) => format!("{n} 项检查"),
        };
    }
    let (first, last) = (offset + 1, offset + n);
    match (lang, has_more) {
        (Lang::En, false) => format!("studies {first}–{last}"),
        (Lang::En, true) => format!("studies {first}–{last} and more"),
        (Lang::Fr, false) => format!("examens {first} à {last}"),
        (Lang::Fr, true) => format!("examens {first} à {last}, et d'autres"),
        (Lang::De, false) => format!("Studien {first}–{last}"),
        (Lang::De, true) => format!("Studien {first}–{last} und weitere"),
        (Lang::Zh, false) => format!("第 {first}–{last} 项检查"),
        (Lang::Zh, true) => format!("第 {first}–{last} 项检查，还有更多"),
    }
}

/// "N images" with the plural each language needs (the image count of a series).
pub fn image_count(lang: Lang, n: u32) -> String {
    match (lang, n) {
        (Lang::En, 1) => "1 image".to_string(),
        (Lang::En, n) => format!("{n} images"),
        (Lang::Fr, 0 | 1) => format!("{n} image"),
        (Lang::Fr, n) => format!("{n} images"),
        (Lang::De, 1) => "1 Bild".to_string(),
        (Lang::De, n) => format!("{n} Bilder"),
        (Lang::Zh, n) => format!("{n} 幅图像"),
    }
}

/// "12 of 220 files" while files from disk are read.
pub fn files_read(lang: Lang, done: usize, total: usize) -> String {
    match lang {
        Lang::En => format!("{done} of {total} files"),
        Lang::Fr => format!("{done} fichiers sur {total}"),
        Lang::De => format!("{done} von {total} Dateien"),
        Lang::Zh => format!("{done} / {total} 个文件"),
    }
}

/// The current language, provided by the app root.
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or(Lang::En)
}

/// The text of `msg` in the current language.
pub fn t(msg: Msg) -> &'static str {
    text(use_lang(), msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn language_comes_from_the_primary_subtag() {
        assert_eq!(Lang::from_tag("fr-CH"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("DE"), Some(Lang::De));
        assert_eq!(Lang::from_tag("en_GB"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ja"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn image_count_uses_each_languages_plural() {
        assert_eq!(image_count(Lang::En, 1), "1 image");
        assert_eq!(image_count(Lang::En, 22), "22 images");
        assert_eq!(image_count(Lang::Fr, 1), "1 image");
        assert_eq!(image_count(Lang::De, 6), "6 Bilder");
        assert_eq!(image_count(Lang::Zh, 6), "6 幅图像");
    }

    #[test]
    fn study_count_uses_each_languages_plural_and_names_the_page() {
        assert_eq!(study_count(Lang::En, 0, 1, false), "1 study");
        assert_eq!(study_count(Lang::En, 0, 0, false), "0 studies");
        assert_eq!(study_count(Lang::Fr, 0, 0, false), "0 examen");
        assert_eq!(study_count(Lang::Fr, 0, 2, false), "2 examens");
        assert_eq!(study_count(Lang::De, 0, 3, false), "3 Studien");
        assert_eq!(study_count(Lang::En, 0, 50, true), "studies 1–50 and more");
        assert_eq!(study_count(Lang::En, 50, 7, false), "studies 51–57");
        assert_eq!(
            study_count(Lang::Zh, 50, 50, true),
            "第 51–100 项检查，还有更多"
        );
    }
}
