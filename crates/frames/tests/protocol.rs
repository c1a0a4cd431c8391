//! Worker protocol tests: messages survive serialisation, a decoded frame splits into a response plus
//! transferable buffers and joins back (with mismatches refused), transfer-syntax requests map to the DICOMweb
//! client's, and `decode_fetched` decodes what a worker fetched for each kind of source.

use lumen_frames::*;
use serde_json::json;

/// DICOM JSON metadata of a 1×3 unsigned 16-bit MONOCHROME2 instance with Rescale Slope 0.5, Intercept 10.
fn metadata(uid: &str, with_lut: bool) -> serde_json::Value {
    let mut m = json!({
        "00080018": {"vr": "UI", "Value": [uid]},
        "00280002": {"vr": "US", "Value": [1]},
        "00280004": {"vr": "CS", "Value": ["MONOCHROME2"]},
        "00280010": {"vr": "US", "Value": [1]},
        "00280011": {"vr": "US", "Value": [3]},
        "00280100": {"vr": "US", "Value": [16]},
        "00280101": {"vr": "US", "Value": [16]},
        "00280102": {"vr": "US", "Value": [15]},
        "00280103": {"vr": "US", "Value": [0]},
        "00281052": {"vr": "DS", "Value": ["10"]},
        "00281053": {"vr": "DS", "Value": ["0.5"]},
        "7FE00010": {"vr": "OW", "BulkDataURI": "http://pacs/bulk"}
    });
    if with_lut {
        // LUT Data 7, 8, 9 as OW little endian, base64 of 07 00 08 00 09 00.
        m["00283000"] = json!({"vr": "SQ", "Value": [{
            "00283002": {"vr": "US", "Value": [3, 0, 16]},
            "00283006": {"vr": "OW", "InlineBinary": "BwAIAAkA"}
        }]});
    }
    m
}

fn native(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn decode_request_round_trips_through_json() {
    let msg = WorkerMessage::Decode(DecodeRequest {
        id: 7,
        key: FrameKey::new("1.2.3", 4),
        source: FrameSource::WadoFrame {
            base_url: "https://pacs/dicom-web".into(),
            study_instance_uid: "1".into(),
            series_instance_uid: "1.1".into(),
            sop_instance_uid: "1.2.3".into(),
            frame_number: 4,
            transfer_syntax_accept: vec!["1.2.840.10008.1.2.5".into()],
            instance_metadata: "{}".into(),
        },
    });
    let text = serde_json::to_string(&msg).unwrap();
    assert_eq!(serde_json::from_str::<WorkerMessage>(&text).unwrap(), msg);
    let cancel = WorkerMessage::Cancel { id: 7 };
    assert_eq!(
        serde_json::from_str::<WorkerMessage>(&serde_json::to_string(&cancel).unwrap()).unwrap(),
        cancel
    );
}

#[test]
fn accepted_syntaxes_become_the_clients_transfer_syntax_request() {
    let wado = |accept: Vec<&str>| FrameSource::WadoInstance {
        base_url: String::new(),
        study_instance_uid: String::new(),
        series_instance_uid: String::new(),
        sop_instance_uid: String::new(),
        frame_number: 1,
        transfer_syntax_accept: accept.into_iter().map(String::from).collect(),
    };
    assert_eq!(
        wado(vec![]).transfer_syntax_request(),
        Some(lumen_dicomweb::TransferSyntaxRequest::Default)
    );
    assert_eq!(
        wado(vec!["*"]).transfer_syntax_request(),
        Some(lumen_dicomweb::TransferSyntaxRequest::Any)
    );
    assert_eq!(
        wado(vec!["1.2.840.10008.1.2.5"]).transfer_syntax_request(),
        Some(lumen_dicomweb::TransferSyntaxRequest::OneOf(vec![
            "1.2.840.10008.1.2.5".into()
        ]))
    );
    let local = FrameSource::Bytes {
        file_id: "f".into(),
        frame_number: 2,
    };
    assert_eq!(
        (local.transfer_syntax_request(), local.frame_number()),
        (None, 2)
    );
}

#[test]
fn a_decoded_frame_splits_into_metadata_and_transferable_buffers_and_joins_back() {
    let frame = decode_wado_frame(
        &native(&[0, 2, 4]),
        "1.2.840.10008.1.2.1",
        &metadata("9.9", false),
        1,
    )
    .unwrap();
    // modality = 0.5·stored + 10
    assert_eq!(
        frame.pixels,
        Pixels::Modality {
            values: vec![10.0, 11.0, 12.0].into(),
            stored: None
        }
    );
    // Held and sent as the 16-bit stored samples (2 bytes per pixel), the Modality LUT in the metadata.
    assert_eq!(frame.meta.stored_samples, Some(StoredSampleType::U16));
    assert_eq!(frame.pixels.byte_len(), 6);
    let (response, buffers) = frame.clone().into_response(42);
    assert_eq!(response.id, 42);
    assert_eq!(buffers, vec![PixelBuffer::U16(vec![0, 2, 4])]);
    // The response alone crosses the boundary as JSON.
    let response: DecodeResponse =
        serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
    let DecodeOutcome::Decoded {
        meta,
        buffers: layouts,
    } = response.result
    else {
        panic!("not decoded")
    };
    let meta = *meta;
    assert_eq!(
        layouts,
        vec![BufferLayout {
            role: BufferRole::Pixels,
            element: BufferElement::U16,
            len: 3
        }]
    );
    let back = DecodedFrame::from_response(meta, &layouts, buffers).unwrap();
    assert_eq!(back, frame);
    assert_eq!(back.modality_value(2, 0), Some(12.0));
    // Probe: the stored sample itself.
    assert_eq!(back.stored_value(1, 0), Some(2.0));
}

#[test]
fn a_modality_lut_table_sends_the_stored_values_as_a_second_buffer() {
    let frame = decode_wado_frame(
        &native(&[2, 0, 1]),
        "1.2.840.10008.1.2.1",
        &metadata("9.8", true),
        1,
    )
    .unwrap();
    let (response, buffers) = frame.clone().into_response(1);
    assert_eq!(
        buffers,
        vec![
            PixelBuffer::F32(vec![9.0, 7.0, 8.0]),
            PixelBuffer::I32(vec![2, 0, 1])
        ]
    );
    let DecodeOutcome::Decoded {
        meta,
        buffers: layouts,
    } = response.result
    else {
        panic!("not decoded")
    };
    let meta = *meta;
    assert_eq!(
        layouts[1],
        BufferLayout {
            role: BufferRole::StoredValues,
            element: BufferElement::I32,
            len: 3
        }
    );
    assert_eq!(
        DecodedFrame::from_response(meta.clone(), &layouts, buffers).unwrap(),
        frame
    );
    // Without the second buffer the frame is refused.
    let err = DecodedFrame::from_response(
        meta,
        &layouts[..1],
        vec![PixelBuffer::F32(vec![9.0, 7.0, 8.0])],
    )
    .unwrap_err();
    assert!(matches!(err, Error::BufferMismatch { .. }), "{err}");
}

#[test]
fn buffers_that_disagree_with_the_metadata_are_refused() {
    let frame = decode_wado_frame(
        &native(&[0, 2, 4]),
        "1.2.840.10008.1.2.1",
        &metadata("9.9", false),
        1,
    )
    .unwrap();
    let (response, _) = frame.into_response(1);
    let DecodeOutcome::Decoded {
        meta,
        buffers: layouts,
    } = response.result
    else {
        panic!("not decoded")
    };
    let meta = *meta;
    // Announced 3 samples, received 2.
    assert!(DecodedFrame::from_response(
        meta.clone(),
        &layouts,
        vec![PixelBuffer::U16(vec![1, 2])]
    )
    .is_err());
    // Right length but wrong element type.
    assert!(DecodedFrame::from_response(
        meta.clone(),
        &layouts,
        vec![PixelBuffer::U8(vec![1, 2, 3])]
    )
    .is_err());
    // Layout and buffer agree with each other but not with Rows × Columns.
    let short = [BufferLayout {
        role: BufferRole::Pixels,
        element: BufferElement::U16,
        len: 2,
    }];
    assert!(
        DecodedFrame::from_response(meta.clone(), &short, vec![PixelBuffer::U16(vec![1, 2])])
            .is_err()
    );
    // Samples of another type than the metadata announces (signed for unsigned).
    let signed = [BufferLayout {
        role: BufferRole::Pixels,
        element: BufferElement::I16,
        len: 3,
    }];
    assert!(
        DecodedFrame::from_response(meta.clone(), &signed, vec![PixelBuffer::I16(vec![1, 2, 3])])
            .is_err()
    );
    // Stored samples need a linear Modality LUT to mean anything: with a table they are refused.
    let table = FrameMeta {
        modality_lut: ModalityMapping::Table {
            first_mapped: 0,
            entries: 3,
        },
        ..meta.clone()
    };
    let err = DecodedFrame::from_response(table, &layouts, vec![PixelBuffer::U16(vec![1, 2, 3])])
        .unwrap_err();
    assert!(matches!(err, Error::BufferMismatch { .. }), "{err}");
    // An f32 frame's buffer is refused where the metadata announces stored samples.
    let floats = [BufferLayout {
        role: BufferRole::Pixels,
        element: BufferElement::F32,
        len: 3,
    }];
    assert!(
        DecodedFrame::from_response(meta, &floats, vec![PixelBuffer::F32(vec![1.0, 2.0, 3.0])])
            .is_err()
    );
}

#[test]
fn fetched_wado_frame_is_decoded_with_its_metadata_and_media_type() {
    let key = FrameKey::new("9.9", 1);
    let source = FrameSource::WadoFrame {
        base_url: "http://pacs".into(),
        study_instance_uid: "1".into(),
        series_instance_uid: "1.1".into(),
        sop_instance_uid: "9.9".into(),
        frame_number: 1,
        transfer_syntax_accept: vec![],
        // WADO-RS metadata answers are arrays of one data set.
        instance_metadata: serde_json::to_string(&json!([metadata("9.9", false)])).unwrap(),
    };
    let frame = decode_fetched(
        &key,
        &source,
        &native(&[4, 4, 6]),
        None,
        Some("application/octet-stream"),
    )
    .unwrap();
    assert_eq!(
        frame.pixels,
        Pixels::Modality {
            values: vec![12.0, 12.0, 13.0].into(),
            stored: None
        }
    );
    let err =
        decode_fetched(&key, &source, &native(&[4, 4, 6]), None, Some("image/webp")).unwrap_err();
    assert!(matches!(err, Error::UnknownFrameSyntax { .. }), "{err}");
    let response = DecodeResponse::failed(3, key, err.to_string());
    assert!(
        matches!(response.result, DecodeOutcome::Failed { ref message } if message.contains("image/webp"))
    );
}

#[test]
fn fetched_part10_bytes_are_decoded_under_the_requested_key() {
    // A Part 10 instance built from the same metadata.
    let mut obj = lumen_dicomweb::json::from_dicom_json(&metadata("9.7", false)).unwrap();
    obj.put(dicom_core::DataElement::new(
        dicom_dictionary_std::tags::PIXEL_DATA,
        dicom_core::VR::OW,
        dicom_core::PrimitiveValue::U16(vec![0u16, 20, 40].into()),
    ));
    obj.put(dicom_core::DataElement::new(
        dicom_dictionary_std::tags::SOP_CLASS_UID,
        dicom_core::VR::UI,
        dicom_core::PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.7"),
    ));
    let bytes =
        lumen_phantom::to_part10_bytes(obj, lumen_phantom::TransferSyntax::ImplicitVrLittleEndian)
            .unwrap();
    let key = FrameKey::new("local-file-3", 1);
    let source = FrameSource::Bytes {
        file_id: "f3".into(),
        frame_number: 1,
    };
    let frame = decode_fetched(&key, &source, &bytes, None, None).unwrap();
    assert_eq!(frame.meta.key, key);
    assert_eq!(
        frame.pixels,
        Pixels::Modality {
            values: vec![10.0, 20.0, 30.0].into(),
            stored: None
        }
    );
}
