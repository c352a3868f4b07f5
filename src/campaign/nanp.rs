//! The time zones of North American numbers by area code (NPA), so that a US or Canadian
//! lead without a given zone is called in its own zone rather than only when the hours
//! hold across the whole country (13:00 to 21:00 Eastern for 08:00 to 21:00 in the US).
//!
//! Source: the area codes in service from NANPA's NPA reports (nationalnanpa.com, "NPA
//! Database", 2025) and the Canadian Numbering Administrator's list (cnac.ca), placed in
//! zones from the states and provinces they serve, with IANA tz names. An area code whose
//! territory straddles zones (western Kansas, the Florida panhandle, northern Idaho,
//! eastern Oregon…) lists every zone it may be in, and the campaign calls it only when the
//! hours hold in each, as for a number with no zone. A code not in the table falls back to
//! every zone of its country. Overlays added later must be added here: a missing one is
//! called conservatively, never early or late.

/// The zones `npa` (three digits) may be in, or `None` if the table does not know it.
pub fn zones(npa: &str) -> Option<Vec<&'static str>> {
    let found: Vec<&'static str> = TABLE
        .iter()
        .filter(|(_, codes)| codes.split_whitespace().any(|c| c == npa))
        .map(|(zone, _)| *zone)
        .collect();
    (!found.is_empty()).then_some(found)
}

/// IANA zone -> the area codes (space-separated) that may be in it. A straddling code
/// appears under each of its zones.
const TABLE: &[(&str, &str)] = &[
    (
        "America/New_York",
        // CT DE DC FL(east) GA KY(east) ME MD MA MI NH NJ NY NC OH PA RI SC TN(east) VT VA WV
        "203 475 860 959 302 202 771 239 305 321 352 386 407 561 656 689 727 754 772 786 813 \
         850 863 904 941 954 448 229 404 470 478 678 706 762 770 912 943 502 606 859 270 364 \
         207 227 240 301 410 443 667 339 351 413 508 617 774 781 857 978 231 248 269 313 517 \
         586 616 679 734 810 906 947 989 603 201 551 609 640 732 848 856 862 908 973 212 315 \
         329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934 252 \
         336 472 704 743 828 910 919 980 984 216 220 234 283 326 330 380 419 436 440 513 567 \
         614 740 937 215 223 267 272 412 445 484 570 582 610 717 724 814 835 878 401 803 821 \
         839 843 854 864 423 865 931 802 276 434 540 571 686 703 757 804 826 948 304 681",
    ),
    (
        "America/Indiana/Indianapolis",
        "260 317 463 574 765 812 930",
    ),
    (
        "America/Chicago",
        // AL AR IL IN(northwest, southwest) IA KS KY(west) LA MN MS MO NE ND OK SD TN TX
        // WI, FL(panhandle), MI(Upper Peninsula west)
        "205 251 256 334 483 659 938 327 479 501 870 217 224 309 312 331 447 464 618 630 708 \
         730 773 779 815 847 861 872 219 812 930 319 515 563 641 712 316 620 785 913 270 364 \
         225 318 337 457 504 985 218 320 507 612 651 763 924 952 228 471 601 662 769 235 314 \
         417 557 573 636 660 816 975 308 402 531 701 405 539 572 580 918 605 615 629 731 901 \
         931 210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 \
         903 936 940 945 956 972 979 262 274 353 414 534 608 715 920 850 448 906",
    ),
    (
        "America/Denver",
        // CO MT NM UT WY, TX(El Paso), ID(south), KS/NE/ND/SD(west), OR(Malheur)
        "303 719 720 970 983 406 505 575 385 435 801 307 915 432 208 986 620 785 308 701 605 \
         541 458",
    ),
    ("America/Phoenix", "480 520 602 623 928"),
    (
        "America/Los_Angeles",
        // CA NV OR WA, ID(north)
        "209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 \
         661 669 707 714 738 747 760 805 818 820 831 837 840 858 909 916 925 949 951 702 725 \
         775 458 503 541 971 206 253 360 425 509 564 208 986",
    ),
    ("America/Anchorage", "907"),
    ("Pacific/Honolulu", "808"),
    // Canada.
    ("America/St_Johns", "709"),
    ("America/Halifax", "709 782 902 428 506"),
    (
        "America/Toronto",
        // QC ON
        "263 354 367 418 438 450 468 514 579 581 819 873 226 249 289 343 365 382 416 437 519 \
         548 613 647 683 705 742 753 807 905 942",
    ),
    ("America/Winnipeg", "204 431 584 807"),
    ("America/Regina", "306 474 639"),
    ("America/Edmonton", "368 403 587 780 825 250 867"),
    ("America/Vancouver", "236 250 257 604 672 778"),
    ("America/Whitehorse", "867"),
    ("America/Iqaluit", "867"),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_area_code_gives_its_zone() {
        assert_eq!(zones("212"), Some(vec!["America/New_York"]));
        assert_eq!(zones("213"), Some(vec!["America/Los_Angeles"]));
        assert_eq!(zones("312"), Some(vec!["America/Chicago"]));
        assert_eq!(zones("602"), Some(vec!["America/Phoenix"]));
        assert_eq!(zones("416"), Some(vec!["America/Toronto"]));
        assert_eq!(zones("604"), Some(vec!["America/Vancouver"]));
        assert_eq!(zones("808"), Some(vec!["Pacific/Honolulu"]));
    }

    #[test]
    fn a_straddling_area_code_gives_every_zone_it_may_be_in() {
        assert_eq!(
            zones("850"),
            Some(vec!["America/New_York", "America/Chicago"])
        );
        assert_eq!(
            zones("208"),
            Some(vec!["America/Denver", "America/Los_Angeles"])
        );
        assert_eq!(zones("999"), None);
    }

    #[test]
    fn every_zone_is_a_known_iana_zone_and_codes_are_three_digits() {
        for (zone, codes) in TABLE {
            assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{zone}");
            for code in codes.split_whitespace() {
                assert!(
                    code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()),
                    "{zone}: {code}"
                );
            }
        }
    }
}
