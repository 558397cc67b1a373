"""The fallback profile: a record whose template no profile knows, or with no template at all.

It stores no typed values and keeps the panel in source order. Its labels are
how common run-together keys read in any record ("Parentagency" -> "Parent
agency"), also where another profile knows no better; it marks the keys whose
values are PDF keywords whatever the template.
"""

from schemas.profiles.base import Family, Key, Profile

PROFILE = Profile(
    name="generic",
    description="Any infobox: labels for common keys, the panel in source order, no typed values.",
    ordered=False,
    typed=False,
    entries=[
        Key("nativename", "native_name", label="Native name", aliases=("nativenamea",)),
        Key("nativenamer", "native_name_romanised", label="Native name (romanised)"),
        Key("nativenamelang", "native_name_language", label="Native name language"),
        Key("commonname", "common_name", label="Common name"),
        Key("commonnativename", "common_native_name", label="Native name"),
        Key("conventionallongname", "official_name", label="Official name"),
        Key("country", "country", label="Country", keyword=True),
        Key("capital", "capital", label="Capital"),
        Key("headquarters", "headquarters", label="Headquarters", keyword=True),
        Key("parentagency", "parent_agency", label="Parent agency", keyword=True),
        Key("dissolved", "dissolved", label="Dissolved"),
        Key("employees", "employees", label="Employees"),
        Key("budget", "budget", label="Budget"),
        Key("agencyname", "agency_name", label="Agency name"),
        Key("activitytype", "activity_type", label="Activity type"),
        Key("formedyear", "formed_year", label="Formed (year)"),
        Key("formedmonthday", "formed_day", label="Formed (day)"),
        Key("legalpersonality", "legal_personality", label="Legal personality"),
        Key("governingbody", "governing_body", label="Governing body"),
        Key("sworntype", "sworn_type", label="Sworn type"),
        Key("unsworntype", "unsworn_type", label="Unsworn type"),
        Key("unitname", "unit_name", label="Unit name"),
        Key("birthdate", "birth_date", label="Date of birth", aliases=("dateofbirth",)),
        Key("birthplace", "birth_place", label="Place of birth"),
        Key("deathdate", "death_date", label="Date of death"),
        Key("deathplace", "death_place", label="Place of death"),
        Family("person", "people", "Agency executives"),
        Family("chief", "chiefs", "Chiefs"),
        Family("minister", "ministers", "Ministers"),
        Family("commander", "commanders", "Commanders"),
        Family("battle", "battles", "Battles"),
    ],
)
