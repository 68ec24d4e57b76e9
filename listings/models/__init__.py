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
