//! The words of the user interface, in English, French and German, chosen from the browser's preferred language.
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
}

impl Lang {
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
            _ => None,
        }
    }

    /// The BCP 47 tag written into `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
        }
    }
}

/// A fixed piece of user-interface text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    StudyListTitle,
    SearchPatientName,
    SearchPatientNameHint,
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
    ColModality,
    ColSeriesDescription,
    ColBodyPart,
    SeriesListTitle,
    FactPatient,
    FactPatientId,
    FactStudyDate,
    FactAccession,
    NoStudySelected,
    PageNotFound,
    Source,
    OpenLocalFile,
    DecodingFile,
    Searching,
    LocalFileTitle,
    NoLocalFile,
    LocalFileFailed,
    FactFile,
    FactSize,
    FactFrames,
    FactPhotometric,
    FactTransferSyntax,
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
        (ColModality, En) => "Modality",
        (ColModality, Fr) => "Modalité",
        (ColModality, De) => "Modalität",
        (ColSeriesDescription, En) => "Series description",
        (ColSeriesDescription, Fr) => "Description de la série",
        (ColSeriesDescription, De) => "Serienbeschreibung",
        (ColBodyPart, En) => "Body part",
        (ColBodyPart, Fr) => "Région",
        (ColBodyPart, De) => "Körperregion",
        (SeriesListTitle, En) => "Series",
        (SeriesListTitle, Fr) => "Séries",
        (SeriesListTitle, De) => "Serien",
        (FactPatient, En) => "Patient",
        (FactPatient, Fr) => "Patient",
        (FactPatient, De) => "Patient",
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
        (DecodingFile, En) => "Decoding…",
        (DecodingFile, Fr) => "Décodage…",
        (DecodingFile, De) => "Wird dekodiert…",
        (LocalFileTitle, En) => "Local file",
        (LocalFileTitle, Fr) => "Fichier local",
        (LocalFileTitle, De) => "Lokale Datei",
        (NoLocalFile, En) => "No file is open. The file you choose stays on this computer.",
        (NoLocalFile, Fr) => "Aucun fichier ouvert. Le fichier choisi reste sur cet ordinateur.",
        (NoLocalFile, De) => "Keine Datei geöffnet. Die gewählte Datei bleibt auf diesem Computer.",
        (LocalFileFailed, En) => "This file cannot be displayed:",
        (LocalFileFailed, Fr) => "Ce fichier ne peut pas être affiché :",
        (LocalFileFailed, De) => "Diese Datei kann nicht angezeigt werden:",
        (FactFile, En) => "File",
        (FactFile, Fr) => "Fichier",
        (FactFile, De) => "Datei",
        (FactSize, En) => "Size",
        (FactSize, Fr) => "Taille",
        (FactSize, De) => "Größe",
        (FactFrames, En) => "Frames",
        (FactFrames, Fr) => "Images",
        (FactFrames, De) => "Frames",
        (FactPhotometric, En) => "Photometric",
        (FactPhotometric, Fr) => "Photométrie",
        (FactPhotometric, De) => "Photometrie",
        (FactTransferSyntax, En) => "Transfer syntax",
        (FactTransferSyntax, Fr) => "Syntaxe de transfert",
        (FactTransferSyntax, De) => "Transfersyntax",
    }
}

/// "N studies" with the plural each language needs; `capped` adds that only the first N are shown.
pub fn study_count(lang: Lang, n: usize, capped: bool) -> String {
    let base = match (lang, n) {
        (Lang::En, 1) => "1 study".to_string(),
        (Lang::En, n) => format!("{n} studies"),
        (Lang::Fr, 0 | 1) => format!("{n} examen"),
        (Lang::Fr, n) => format!("{n} examens"),
        (Lang::De, 1) => "1 Studie".to_string(),
        (Lang::De, n) => format!("{n} Studien"),
    };
    if !capped {
        return base;
    }
    match lang {
        Lang::En => format!("first {base} — refine the search"),
        Lang::Fr => format!("{base} premiers — affinez la recherche"),
        Lang::De => format!("erste {base} — Suche eingrenzen"),
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
    fn study_count_uses_each_languages_plural() {
        assert_eq!(study_count(Lang::En, 1, false), "1 study");
        assert_eq!(study_count(Lang::En, 0, false), "0 studies");
        assert_eq!(study_count(Lang::Fr, 0, false), "0 examen");
        assert_eq!(study_count(Lang::Fr, 2, false), "2 examens");
        assert_eq!(study_count(Lang::De, 3, false), "3 Studien");
        assert_eq!(
            study_count(Lang::En, 200, true),
            "first 200 studies — refine the search"
        );
    }
}
