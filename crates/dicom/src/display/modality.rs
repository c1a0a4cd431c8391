//! The Modality LUT (PS3.3 C.11.1): stored values to modality values (Hounsfield units for CT, for example),
//! either linearly with Rescale Slope (0028,1053) and Rescale Intercept (0028,1052) or through a Modality LUT
//! Sequence (0028,3000). Enhanced multi-frame objects carry the rescale in the Pixel Value Transformation
//! Sequence (0028,9145) of their functional groups. Must not apply the VOI LUT or anything after it.

use super::lut::Lut;
use crate::attr;
use crate::error::*;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// The Modality LUT of an image.
#[derive(Debug, Clone, PartialEq)]
pub enum ModalityLut {
    /// No rescale: modality values are the stored values.
    Identity,
    /// `modality = stored × slope + intercept`.
    Rescale {
        /// Rescale Slope (0028,1053).
        slope: f64,
        /// Rescale Intercept (0028,1052).
        intercept: f64,
        /// Rescale Type (0028,1054), e.g. "HU".
        rescale_type: Option<String>,
    },
    /// A Modality LUT Sequence item.
    Lut {
        /// The table.
        lut: Lut,
        /// Modality LUT Type (0028,3004), e.g. "OD" or "HU".
        lut_type: Option<String>,
    },
}

impl ModalityLut {
    /// The Modality LUT for frame `frame` of `obj`: the Modality LUT Sequence if present, else Rescale
    /// Slope/Intercept at the top level, else those of the Pixel Value Transformation Sequence in the per-frame or
    /// shared functional groups, else identity. `signed`: Pixel Representation is 1.
    pub fn from_object(obj: &InMemDicomObject, frame: u32, signed: bool) -> Result<ModalityLut> {
        if let Some(item) = attr::items(obj, tags::MODALITY_LUT_SEQUENCE).first() {
            let lut = Lut::from_item(
                item,
                tags::LUT_DESCRIPTOR,
                tags::LUT_DATA,
                signed,
                "Modality LUT",
            )?;
            return Ok(ModalityLut::Lut {
                lut,
                lut_type: attr::string(item, tags::MODALITY_LUT_TYPE),
            });
        }
        let source = if obj.get(tags::RESCALE_SLOPE).is_some()
            || obj.get(tags::RESCALE_INTERCEPT).is_some()
        {
            Some(obj)
        } else {
            super::functional_group(obj, frame, tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE)
        };
        let Some(source) = source else {
            return Ok(ModalityLut::Identity);
        };
        let slope = attr::f64(source, tags::RESCALE_SLOPE).unwrap_or(1.0);
        let intercept = attr::f64(source, tags::RESCALE_INTERCEPT).unwrap_or(0.0);
        if !slope.is_finite() || slope == 0.0 || !intercept.is_finite() {
            return Err(Error::InvalidAttribute {
                name: "Rescale Slope/Intercept",
                tag: tags::RESCALE_SLOPE,
                reason: format!(
                    "slope {slope}, intercept {intercept}: the slope must be a non-zero number"
                ),
            });
        }
        if slope == 1.0 && intercept == 0.0 && attr::string(source, tags::RESCALE_TYPE).is_none() {
            return Ok(ModalityLut::Identity);
        }
        Ok(ModalityLut::Rescale {
            slope,
            intercept,
            rescale_type: attr::string(source, tags::RESCALE_TYPE),
        })
    }

    /// The modality value of a stored value (what a pixel probe shows).
    pub fn apply(&self, stored: f64) -> f64 {
        match self {
            ModalityLut::Identity => stored,
            ModalityLut::Rescale {
                slope, intercept, ..
            } => stored * slope + intercept,
            ModalityLut::Lut { lut, .. } => lut.lookup(stored) as f64,
        }
    }

    /// Units of the modality values, when the data set names them (Rescale Type or Modality LUT Type).
    pub fn units(&self) -> Option<&str> {
        match self {
            ModalityLut::Identity => None,
            ModalityLut::Rescale { rescale_type, .. } => rescale_type.as_deref(),
            ModalityLut::Lut { lut_type, .. } => lut_type.as_deref(),
        }
    }
}

/// The modality value of `stored` under `lut` (the pixel probe's number).
pub fn modality_value(lut: &ModalityLut, stored: f64) -> f64 {
    lut.apply(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_object::mem::InMemElement;

    #[test]
    fn rescale_slope_and_intercept_give_hounsfield_units() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::RESCALE_SLOPE, VR::DS, PrimitiveValue::from("1")),
            DataElement::new(
                tags::RESCALE_INTERCEPT,
                VR::DS,
                PrimitiveValue::from("-1024"),
            ),
            DataElement::new(tags::RESCALE_TYPE, VR::LO, PrimitiveValue::from("HU")),
        ]);
        let lut = ModalityLut::from_object(&obj, 0, false).unwrap();
        assert_eq!(modality_value(&lut, 1024.0), 0.0);
        assert_eq!(modality_value(&lut, 0.0), -1024.0);
        assert_eq!(lut.units(), Some("HU"));
    }

    #[test]
    fn fractional_slope_is_applied_before_the_intercept() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::RESCALE_SLOPE, VR::DS, PrimitiveValue::from("0.5")),
            DataElement::new(tags::RESCALE_INTERCEPT, VR::DS, PrimitiveValue::from("10")),
        ]);
        let lut = ModalityLut::from_object(&obj, 0, false).unwrap();
        assert_eq!(lut.apply(7.0), 13.5);
    }

    #[test]
    fn modality_lut_sequence_takes_precedence_and_maps_signed_input() {
        let item = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::LUT_DESCRIPTOR,
                VR::US,
                PrimitiveValue::from([3u16, 65535, 12]),
            ),
            DataElement::new(
                tags::LUT_DATA,
                VR::OW,
                PrimitiveValue::U16(vec![10, 20, 30].into()),
            ),
            DataElement::new(tags::MODALITY_LUT_TYPE, VR::LO, PrimitiveValue::from("OD")),
        ]);
        let obj = InMemDicomObject::from_element_iter([
            InMemElement::new(
                tags::MODALITY_LUT_SEQUENCE,
                VR::SQ,
                dicom_core::value::DataSetSequence::from(vec![item]),
            ),
            DataElement::new(tags::RESCALE_SLOPE, VR::DS, PrimitiveValue::from("2")),
        ]);
        let lut = ModalityLut::from_object(&obj, 0, true).unwrap();
        // first mapped value -1: stored -1 → 10, 0 → 20, 1 → 30, beyond → 30.
        assert_eq!(
            [
                lut.apply(-5.0),
                lut.apply(-1.0),
                lut.apply(0.0),
                lut.apply(1.0),
                lut.apply(9.0)
            ],
            [10.0, 10.0, 20.0, 30.0, 30.0]
        );
        assert_eq!(lut.units(), Some("OD"));
    }

    #[test]
    fn enhanced_rescale_comes_from_functional_groups() {
        let pvt = InMemDicomObject::from_element_iter([
            DataElement::new(tags::RESCALE_SLOPE, VR::DS, PrimitiveValue::from("2")),
            DataElement::new(
                tags::RESCALE_INTERCEPT,
                VR::DS,
                PrimitiveValue::from("-100"),
            ),
        ]);
        let shared = InMemDicomObject::from_element_iter([InMemElement::new(
            tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![pvt]),
        )]);
        let obj = InMemDicomObject::from_element_iter([InMemElement::new(
            tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![shared]),
        )]);
        let lut = ModalityLut::from_object(&obj, 3, false).unwrap();
        assert_eq!(lut.apply(100.0), 100.0);
    }

    #[test]
    fn zero_slope_is_rejected() {
        let obj = InMemDicomObject::from_element_iter([DataElement::new(
            tags::RESCALE_SLOPE,
            VR::DS,
            PrimitiveValue::from("0"),
        )]);
        assert!(ModalityLut::from_object(&obj, 0, false).is_err());
    }
}
