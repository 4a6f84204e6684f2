package exchange

import "time"

// The EIDO document's shape, as NENA-STA-021's OpenAPI definition names it
// (EmergencyIncidentDataObjectType and the component types it lists). Only the components and
// fields Fireline fills are declared; every one of them is checked against that definition by
// the tests (eido_schema_test.go).

// EIDOVersion is the only version of the EIDO structure the definition allows.
const EIDOVersion = "1.0"

// eidoContext is the JSON-LD context the definition fixes for the document.
const eidoContext = "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld"

// Ref is a ReferenceType: the $id of another component of the document, or of an agency or
// agent known by its globally unique id.
type Ref struct {
	ID string `json:"$ref"`
}

// Prologue is the PrologueType every component starts with.
type Prologue struct {
	// ID is the component's globally unique identifier.
	ID string `json:"$id"`
	// LastUpdate is when what the component says last changed.
	LastUpdate time.Time `json:"lastUpdateTimeStamp"`
	// UpdatedByAgency is the agency that last changed it: the issuing centre.
	UpdatedByAgency Ref `json:"updatedByAgencyReference"`
	// UpdatedByAgent is the person or automaton that last changed it, when known.
	UpdatedByAgent *Ref `json:"updatedByAgentReference,omitempty"`
}

// Document is an EmergencyIncidentDataObjectType: one incident, whole.
type Document struct {
	Prologue
	Version        string            `json:"eidoVersion"`
	IssuingElement string            `json:"issuingElementIdentification"`
	Merges         []Merge           `json:"mergeComponent,omitempty"`
	Incident       Incident          `json:"incidentComponent"`
	Calls          []Call            `json:"callComponent,omitempty"`
	Callbacks      []Callback        `json:"callbackComponent,omitempty"`
	Dispatches     []Dispatch        `json:"dispatchComponent,omitempty"`
	Notes          []Note            `json:"notesComponent,omitempty"`
	Resources      []Resource        `json:"emergencyResourceComponent,omitempty"`
	Alarms         []AlarmSensor     `json:"alarmsSensorsComponent,omitempty"`
	Agencies       []Agency          `json:"agencyComponent"`
	Agents         []Agent           `json:"agentComponent,omitempty"`
	Locations      []Location        `json:"locationComponent,omitempty"`
	Context        map[string]string `json:"@context"`
}

// Merge is a MergeInformationType: another incident merged into this one (REPLACING), this one
// merged into another (REPLACED), or split from this one (SPLIT).
type Merge struct {
	Prologue
	TrackingID string `json:"incidentTrackingIdentifier"`
	Direction  string `json:"incidentMergeDirectionCode"`
}

// The merge directions of IncidentMergeDirectionCodeSimpleType.
const (
	MergeReplacing = "REPLACING"
	MergeReplaced  = "REPLACED"
	MergeSplit     = "SPLIT"
)

// Incident is an IncidentInformationType.
type Incident struct {
	Prologue
	TypeInternalCode string   `json:"incidentTypeInternalCode"`
	TypeInternalText string   `json:"incidentTypeInternalText"`
	TypeCommon       string   `json:"incidentTypeCommonRegistryText"`
	StatusInternal   []string `json:"incidentStatusInternalText"`
	InternalID       string   `json:"internalIncidentId"`
	Agents           []Ref    `json:"agentReference,omitempty"`
	Locations        []Ref    `json:"locationReference,omitempty"`
	PriorityInternal string   `json:"incidentPriorityInternalText,omitempty"`
	PriorityNumber   int      `json:"incidentCommonPriorityNumber,omitempty"`
	Notes            []Ref    `json:"notesReference,omitempty"`
}

// Call is a CallInformationType: a call on an emergency line or a public report.
type Call struct {
	Prologue
	PrimaryCallType string     `json:"standardPrimaryCallType"`
	LocalCallType   string     `json:"localCallType,omitempty"`
	Direction       string     `json:"direction"`
	Start           time.Time  `json:"callStartTimestamp"`
	Answered        *time.Time `json:"answerDate,omitempty"`
	State           string     `json:"callStateRegistryText"`
	Callback        *Ref       `json:"callBackReference,omitempty"`
	Locations       []Ref      `json:"locationReference,omitempty"`
	Notes           []Ref      `json:"notesReference,omitempty"`
}

// Callback is a CallbackType: how to call a caller back.
type Callback struct {
	Prologue
	URIs []string `json:"callBackInformationUri"`
}

// Dispatch is a DispatchInformationType: a unit sent by the centre, or an agency asked for a
// task.
type Dispatch struct {
	Prologue
	Agency    *Ref  `json:"agencyReference,omitempty"`
	Agent     *Ref  `json:"agentReference,omitempty"`
	Resources []Ref `json:"emergencyResourceReference,omitempty"`
	Notes     []Ref `json:"notesReference,omitempty"`
}

// Note is a NotesType; its text is HTML5.
type Note struct {
	Prologue
	Text  string `json:"notesActionComments"`
	Agent *Ref   `json:"agentReference,omitempty"`
}

// Resource is an EmergencyResourceType: a unit on the incident.
type Resource struct {
	Prologue
	TypeCommon      string   `json:"emergencyResourceTypeCommonRegistryText"`
	TypeInternal    string   `json:"emergencyResourceTypeInternalText"`
	Attributes      []string `json:"resourceAttributeRegistryText"`
	Name            string   `json:"emergencyResourceName"`
	PrimaryStatus   string   `json:"primaryUnitStatusRegistryText"`
	SecondaryStatus []string `json:"secondaryUnitStatusRegistryText"`
	StatusInternal  []string `json:"unitStatusInternal"`
	Notes           []Ref    `json:"notesReference,omitempty"`
	Agents          []Ref    `json:"agentReference"`
	Destination     *Ref     `json:"unitDestinationReference,omitempty"`
}

// AlarmSensor is an AlarmsSensorsType: a fire-alarm panel, a lamp-post button or a CAP warning
// that raised the incident.
type AlarmSensor struct {
	Prologue
	Notes []Ref `json:"notesReference,omitempty"`
}

// Agency is an AgencyType.
type Agency struct {
	Prologue
	Roles  []string `json:"agencyRoleDescriptionRegistryText"`
	Types  []string `json:"agencyType"`
	Notes  []Ref    `json:"notesReference,omitempty"`
	Owning bool     `json:"incidentOwningAgencyIndicator"`
}

// Agent is an AgentType: an operator, or an automaton acting as one.
type Agent struct {
	Prologue
	Roles  []string `json:"agentRoleRegistryText"`
	Agency Ref      `json:"agencyReference"`
}

// Location is a LocationInformationType; the place itself is a PIDF-LO document (RFC 4119)
// with a geodetic point and, when known, a civic address.
type Location struct {
	Prologue
	Type        string   `json:"locationTypeDescriptionRegistryText"`
	PIDFLO      string   `json:"locationByValue"`
	Description string   `json:"locationDescriptionText,omitempty"`
	LocalIDs    []string `json:"localIdentifier,omitempty"`
}
