"""The app's model registry: Django loads ``listings.models``; each domain owns and defines its own models."""
from listings.catalogue.models import (  # noqa: F401
    Encumbrance,
    EncumbranceKind,
    Industry,
    IpcEntry,
    IpcScopeRule,
    LegalStatus,
    LicenceGrant,
    LicenceKind,
    Patent,
    Patentee,
    PatenteeRole,
    PatentIpc,
    PatentKind,
    PatentPatentee,
    PatentPublication,
    Zone,
)
from listings.deals.models import (  # noqa: F401
    ContractConfirmation,
    Deal,
    DealBroker,
    DealDocument,
    DealMessage,
    DealOffer,
    DealStatus,
    DealTransition,
    IpFinding,
    IpReview,
    NdaAcceptance,
)
from listings.demands.models import Demand, DemandStatus, DemandTransition, Visibility  # noqa: F401
from listings.matching.models import AlertFrequency, DemandMatch, MatchSource, SavedSearch, SavedSearchScope  # noqa: F401
from listings.trading.models import (  # noqa: F401
    AttachmentKind,
    CloseOutcome,
    DealType,
    Listing,
    ListingAttachment,
    ListingPatent,
    ListingStatus,
    ListingTransition,
    ReviewStatus,
)
