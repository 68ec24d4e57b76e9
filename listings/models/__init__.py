from .patents import (  # noqa: F401
    Industry,
    IpcEntry,
    IpcScopeRule,
    LegalStatus,
    Patent,
    PatentIpc,
    PatentKind,
    PatentPublication,
    Zone,
)
from .trading import (  # noqa: F401
    AttachmentKind,
    CloseOutcome,
    DealType,
    Encumbrance,
    EncumbranceKind,
    LicenceGrant,
    LicenceKind,
    Listing,
    ListingAttachment,
    ListingPatent,
    ListingStatus,
    ListingTransition,
    ReviewStatus,
)
from .demands import Demand, DemandStatus, DemandTransition, Visibility  # noqa: F401
from .matching import AlertFrequency, DemandMatch, MatchSource, SavedSearch, SavedSearchScope  # noqa: F401
