//! The supertype of every DataType and ReferenceType of namespace 0, as `child:parent` node
//! ids (numeric, namespace 0), generated from the OPC UA base NodeSet
//! (`Schema/Opc.Ua.NodeSet2.xml` of github.com/OPCFoundation/UA-Nodeset at commit e72d9f6b,
//! OPC Foundation MIT licence) by its inverse HasSubtype references. A companion NodeSet does
//! not repeat namespace 0, and its DataTypes (`Duration`, an enumeration) and ReferenceTypes
//! (`HasAddIn`) derive from these, so the typing needs them to reach a built-in type.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `child:parent` pairs of namespace 0's DataTypes.
const DATA_TYPES: &str = "
    1:24 2:27 3:28 4:27 5:28 6:27 7:28 8:27 9:28 10:26 11:26 12:24 13:24 14:24 15:24 16:24
    17:24 18:24 19:24 20:24 21:24 22:24 23:24 25:24 26:24 27:26 28:26 29:24 30:15 50:26 94:7
    95:5 96:22 97:22 98:29 99:97 100:97 101:22 102:7594 120:29 256:29 257:29 288:7 289:7
    290:11 291:12 294:13 295:12 296:22 299:22 302:29 303:29 304:22 307:29 308:22 311:15
    312:22 315:29 316:22 319:316 322:316 325:316 331:22 338:22 344:22 347:7 348:29 376:22
    379:22 382:22 385:22 388:17 432:22 521:15 537:22 540:22 576:29 583:22 586:22 589:22
    592:589 595:589 598:589 601:589 659:22 719:22 725:719 851:29 852:29 853:22 856:22 859:22
    862:22 865:22 868:22 871:22 874:22 877:22 884:22 887:22 890:29 891:22 894:22 897:22
    920:22 938:316 948:22 2000:30 2001:30 2002:30 2003:30 7594:22 8912:22 11216:22 11234:29
    11293:29 11737:9 11939:29 11943:22 11944:22 12077:29 12079:22 12080:22 12171:22 12172:22
    12189:22 12552:29 12554:22 12755:22 12756:22 12877:12 12878:12 12879:12 12880:12
    12881:12 12890:22 12891:12890 14273:22 14523:15534 14524:22 14525:22 14533:22 14593:22
    14647:29 14744:22 15005:14525 15006:15534 15007:15618 15008:29 15031:3 15033:3 15406:7
    15480:15609 15487:14525 15488:14525 15502:22 15510:15502 15520:15609 15528:22 15530:22
    15532:15611 15534:22 15578:22 15580:22 15581:15580 15582:15580 15583:7 15597:22 15598:22
    15605:22 15609:22 15611:22 15616:22 15617:22 15618:22 15621:22 15622:22 15623:22
    15628:22 15629:22 15630:22 15631:15630 15632:29 15634:22 15635:15630 15642:7 15645:15616
    15646:7 15652:15605 15653:15629 15654:7 15657:15616 15658:7 15664:15605 15665:15629
    15667:15611 15669:15598 15670:15628 15874:29 15904:5 16307:15 16313:22 17467:15618
    17548:22 17588:7 18806:22 18807:22 18808:18807 18809:22 18810:18809 18811:22 18812:18811
    18813:22 18814:18813 19723:29 19730:29 20408:29 20998:7 23468:22 23498:22 23564:7
    23599:15630 23600:15630 23601:22 23602:15530 23603:22 23604:23603 23605:23604
    23608:23603 23609:23608 23612:17467 23613:15532 23614:15628 23751:12 24033:22 24105:22
    24106:22 24107:22 24210:29 24212:29 24214:29 24216:29 24218:29 24220:29 24222:29
    24224:29 24263:12 24277:7 24279:7 24281:22 25220:22 25269:15580 25270:22 25517:7
    25519:22 25520:22 25726:12 31917:7 31918:12 32251:5 32285:22 32417:29 32421:22 32434:22
    32435:22 32436:29 32438:22 32659:22 32660:22 32824:659
";

/// `child:parent` pairs of namespace 0's ReferenceTypes.
const REFERENCE_TYPES: &str = "
    32:31 33:31 34:33 35:33 36:33 37:32 38:32 39:32 40:32 41:32 44:34 45:34 46:44 47:44
    48:36 49:47 51:32 52:32 53:32 54:32 56:44 117:32 129:47 131:129 3065:41 9004:32 9005:32
    9006:32 14476:47 14936:33 15112:47 15296:47 15297:47 16361:47 16362:35 17276:54 17597:32
    17603:32 17604:47 17983:54 17984:54 17985:54 18804:47 18805:47 23469:32 23562:32
    24136:47 24137:32 25237:32 25238:33 25253:32 25254:33 25255:32 25256:33 25257:32
    25258:32 25259:25258 25260:25258 25261:25255 25262:47 25263:25262 25264:25262
    25265:25255 25345:33 32059:16362 32407:32 32558:32 32559:32 32633:32 32634:32 32679:34
";

fn table(text: &str) -> HashMap<u32, u32> {
    text.split_whitespace()
        .filter_map(|pair| {
            let (child, parent) = pair.split_once(':')?;
            Some((child.parse().ok()?, parent.parse().ok()?))
        })
        .collect()
}

/// The supertype of namespace 0's DataType `id`.
pub fn data_type_parent(id: u32) -> Option<u32> {
    static TABLE: OnceLock<HashMap<u32, u32>> = OnceLock::new();
    TABLE.get_or_init(|| table(DATA_TYPES)).get(&id).copied()
}

/// The supertype of namespace 0's ReferenceType `id`.
pub fn reference_type_parent(id: u32) -> Option<u32> {
    static TABLE: OnceLock<HashMap<u32, u32>> = OnceLock::new();
    TABLE
        .get_or_init(|| table(REFERENCE_TYPES))
        .get(&id)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_subtypes_are_there() {
        assert_eq!(data_type_parent(290), Some(11), "Duration is a Double");
        assert_eq!(data_type_parent(294), Some(13), "UtcTime is a DateTime");
        assert_eq!(data_type_parent(256), Some(29), "IdType is an Enumeration");
        assert_eq!(
            reference_type_parent(17604),
            Some(47),
            "HasAddIn is a HasComponent"
        );
        assert_eq!(
            reference_type_parent(47),
            Some(44),
            "HasComponent is an Aggregates"
        );
    }
}
