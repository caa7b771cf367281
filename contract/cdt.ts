/**
 * A curated catalogue of common dental procedure codes for treatment planning.
 *
 * The code numbers follow the ADA's CDT numbering (the form the contract accepts, e.g. D2391) so
 * plans line up with US-style insurance forms; the descriptions are NOT the ADA's descriptors
 * (those are copyrighted): every description here was written for Cusp, in French and English,
 * as a short plain-language label. Quebec practices bill with ACDQ codes, which are not included:
 * this list is for planning and charting, not a fee guide, and ships no fees.
 */
export const procedureCodeSystem = {
  id: 'CDT',
  name: 'CDT code numbers (ADA) with descriptions written by Cusp',
  note: 'Descriptions are Cusp’s own wording, not the ADA descriptors; not an ACDQ fee guide.',
} as const;

export type ProcedureCategory =
  | 'diagnostic' | 'preventive' | 'restorative' | 'endodontics' | 'periodontics'
  | 'prosthodontics' | 'implants' | 'surgery' | 'orthodontics' | 'other';

export interface ProcedureCode {
  system: typeof procedureCodeSystem.id;
  code: string;
  category: ProcedureCategory;
  /** 'tooth': charted on one tooth at a time; 'mouth': the whole mouth, an arch or a quadrant. */
  area: 'tooth' | 'mouth';
  /** The code is charted with the surfaces treated (M O D B/F L/P I). */
  surfaces: boolean;
  en: string;
  fr: string;
}

type Row = [code: string, area: 'tooth' | 'mouth', surfaces: boolean, en: string, fr: string];

const groups: Record<ProcedureCategory, Row[]> = {
  diagnostic: [
    ['D0120', 'mouth', false, 'Periodic (recall) examination', 'Examen de rappel (périodique)'],
    ['D0140', 'mouth', false, 'Limited examination of a specific problem or emergency', 'Examen limité d’un problème précis ou d’urgence'],
    ['D0145', 'mouth', false, 'Examination of a child under three with counselling of the parent', 'Examen d’un enfant de moins de trois ans avec conseils au parent'],
    ['D0150', 'mouth', false, 'Complete examination, new or returning patient', 'Examen complet, nouveau patient ou retour'],
    ['D0180', 'mouth', false, 'Complete periodontal examination', 'Examen parodontal complet'],
    ['D0210', 'mouth', false, 'Full-mouth series of intraoral radiographs', 'Série complète de radiographies intrabuccales'],
    ['D0220', 'tooth', false, 'Periapical radiograph, first image', 'Radiographie périapicale, première image'],
    ['D0230', 'tooth', false, 'Periapical radiograph, each additional image', 'Radiographie périapicale, chaque image supplémentaire'],
    ['D0240', 'mouth', false, 'Occlusal radiograph', 'Radiographie occlusale'],
    ['D0270', 'mouth', false, 'Bitewing radiograph, one image', 'Radiographie interproximale (bitewing), une image'],
    ['D0272', 'mouth', false, 'Bitewing radiographs, two images', 'Radiographies interproximales (bitewing), deux images'],
    ['D0274', 'mouth', false, 'Bitewing radiographs, four images', 'Radiographies interproximales (bitewing), quatre images'],
    ['D0330', 'mouth', false, 'Panoramic radiograph', 'Radiographie panoramique'],
    ['D0340', 'mouth', false, 'Cephalometric radiograph and tracing', 'Radiographie céphalométrique et tracé'],
    ['D0350', 'mouth', false, 'Intraoral and facial photographs', 'Photographies intrabuccales et faciales'],
    ['D0364', 'mouth', false, 'Cone-beam CT, less than one jaw', 'Tomodensitométrie à faisceau conique, moins d’une mâchoire'],
    ['D0367', 'mouth', false, 'Cone-beam CT, both jaws', 'Tomodensitométrie à faisceau conique, deux mâchoires'],
    ['D0460', 'tooth', false, 'Pulp vitality testing', 'Test de vitalité pulpaire'],
    ['D0470', 'mouth', false, 'Study models', 'Modèles d’étude'],
  ],
  preventive: [
    ['D1110', 'mouth', false, 'Cleaning (prophylaxis), adult', 'Nettoyage (prophylaxie), adulte'],
    ['D1120', 'mouth', false, 'Cleaning (prophylaxis), child', 'Nettoyage (prophylaxie), enfant'],
    ['D1206', 'mouth', false, 'Fluoride varnish', 'Vernis fluoré'],
    ['D1208', 'mouth', false, 'Topical fluoride (gel or foam)', 'Fluorure topique (gel ou mousse)'],
    ['D1330', 'mouth', false, 'Oral hygiene instruction', 'Enseignement de l’hygiène buccale'],
    ['D1351', 'tooth', false, 'Pit and fissure sealant', 'Scellant de puits et fissures'],
    ['D1354', 'tooth', false, 'Caries-arresting medicament (e.g. silver diamine fluoride)', 'Agent d’arrêt de la carie (p. ex. fluorure diamine d’argent)'],
    ['D1510', 'tooth', false, 'Fixed space maintainer, one side', 'Mainteneur d’espace fixe, unilatéral'],
    ['D1516', 'mouth', false, 'Fixed space maintainer, both sides, upper arch', 'Mainteneur d’espace fixe, bilatéral, arcade supérieure'],
  ],
  restorative: [
    ['D2140', 'tooth', true, 'Amalgam filling, one surface', 'Obturation en amalgame, une surface'],
    ['D2150', 'tooth', true, 'Amalgam filling, two surfaces', 'Obturation en amalgame, deux surfaces'],
    ['D2160', 'tooth', true, 'Amalgam filling, three surfaces', 'Obturation en amalgame, trois surfaces'],
    ['D2161', 'tooth', true, 'Amalgam filling, four or more surfaces', 'Obturation en amalgame, quatre surfaces ou plus'],
    ['D2330', 'tooth', true, 'Composite resin filling, front tooth, one surface', 'Obturation en résine composite, dent antérieure, une surface'],
    ['D2331', 'tooth', true, 'Composite resin filling, front tooth, two surfaces', 'Obturation en résine composite, dent antérieure, deux surfaces'],
    ['D2332', 'tooth', true, 'Composite resin filling, front tooth, three surfaces', 'Obturation en résine composite, dent antérieure, trois surfaces'],
    ['D2335', 'tooth', true, 'Composite resin filling, front tooth, four surfaces or incisal edge', 'Obturation en résine composite, dent antérieure, quatre surfaces ou bord incisif'],
    ['D2391', 'tooth', true, 'Composite resin filling, back tooth, one surface', 'Obturation en résine composite, dent postérieure, une surface'],
    ['D2392', 'tooth', true, 'Composite resin filling, back tooth, two surfaces', 'Obturation en résine composite, dent postérieure, deux surfaces'],
    ['D2393', 'tooth', true, 'Composite resin filling, back tooth, three surfaces', 'Obturation en résine composite, dent postérieure, trois surfaces'],
    ['D2394', 'tooth', true, 'Composite resin filling, back tooth, four or more surfaces', 'Obturation en résine composite, dent postérieure, quatre surfaces ou plus'],
    ['D2610', 'tooth', true, 'Ceramic inlay, one surface', 'Incrustation en céramique (inlay), une surface'],
    ['D2740', 'tooth', false, 'Crown, all-ceramic', 'Couronne tout céramique'],
    ['D2750', 'tooth', false, 'Crown, porcelain fused to high-noble metal', 'Couronne céramo-métallique, métal hautement noble'],
    ['D2790', 'tooth', false, 'Crown, full cast high-noble metal', 'Couronne coulée entièrement en métal hautement noble'],
    ['D2920', 'tooth', false, 'Re-cementing a crown', 'Recimentation d’une couronne'],
    ['D2930', 'tooth', false, 'Stainless-steel crown, primary tooth', 'Couronne en acier inoxydable, dent temporaire'],
    ['D2940', 'tooth', true, 'Temporary protective filling', 'Obturation temporaire protectrice'],
    ['D2950', 'tooth', false, 'Core build-up before a crown', 'Reconstitution de moignon avant couronne'],
    ['D2954', 'tooth', false, 'Prefabricated post and core', 'Tenon préfabriqué et moignon'],
    ['D2962', 'tooth', false, 'Porcelain veneer', 'Facette en porcelaine'],
  ],
  endodontics: [
    ['D3110', 'tooth', false, 'Direct pulp capping', 'Coiffage pulpaire direct'],
    ['D3220', 'tooth', false, 'Pulpotomy', 'Pulpotomie'],
    ['D3310', 'tooth', false, 'Root canal treatment, front tooth', 'Traitement de canal, dent antérieure'],
    ['D3320', 'tooth', false, 'Root canal treatment, premolar', 'Traitement de canal, prémolaire'],
    ['D3330', 'tooth', false, 'Root canal treatment, molar', 'Traitement de canal, molaire'],
    ['D3346', 'tooth', false, 'Root canal retreatment, front tooth', 'Reprise de traitement de canal, dent antérieure'],
    ['D3347', 'tooth', false, 'Root canal retreatment, premolar', 'Reprise de traitement de canal, prémolaire'],
    ['D3348', 'tooth', false, 'Root canal retreatment, molar', 'Reprise de traitement de canal, molaire'],
    ['D3410', 'tooth', false, 'Apicoectomy, front tooth', 'Apicectomie, dent antérieure'],
  ],
  periodontics: [
    ['D4210', 'mouth', false, 'Gingivectomy, per quadrant', 'Gingivectomie, par quadrant'],
    ['D4249', 'tooth', false, 'Crown lengthening', 'Allongement coronaire'],
    ['D4341', 'mouth', false, 'Scaling and root planing, four or more teeth per quadrant', 'Détartrage et surfaçage radiculaire, quatre dents ou plus par quadrant'],
    ['D4342', 'mouth', false, 'Scaling and root planing, one to three teeth per quadrant', 'Détartrage et surfaçage radiculaire, une à trois dents par quadrant'],
    ['D4355', 'mouth', false, 'Full-mouth debridement before an examination', 'Débridement complet de la bouche avant examen'],
    ['D4910', 'mouth', false, 'Periodontal maintenance', 'Maintien parodontal'],
  ],
  prosthodontics: [
    ['D5110', 'mouth', false, 'Complete denture, upper', 'Prothèse complète, supérieure'],
    ['D5120', 'mouth', false, 'Complete denture, lower', 'Prothèse complète, inférieure'],
    ['D5213', 'mouth', false, 'Partial denture on a cast metal frame, upper', 'Prothèse partielle à châssis métallique, supérieure'],
    ['D5214', 'mouth', false, 'Partial denture on a cast metal frame, lower', 'Prothèse partielle à châssis métallique, inférieure'],
    ['D5650', 'tooth', false, 'Adding a tooth to an existing partial denture', 'Ajout d’une dent à une prothèse partielle existante'],
    ['D6240', 'tooth', false, 'Bridge pontic, porcelain fused to high-noble metal', 'Pontique de pont, céramo-métallique hautement noble'],
    ['D6740', 'tooth', false, 'Bridge retainer crown, all-ceramic', 'Couronne pilier de pont, tout céramique'],
    ['D6750', 'tooth', false, 'Bridge retainer crown, porcelain fused to high-noble metal', 'Couronne pilier de pont, céramo-métallique hautement noble'],
  ],
  implants: [
    ['D6010', 'tooth', false, 'Implant placement (surgery)', 'Pose chirurgicale d’un implant'],
    ['D6056', 'tooth', false, 'Prefabricated implant abutment', 'Pilier implantaire préfabriqué'],
    ['D6058', 'tooth', false, 'All-ceramic crown on an implant abutment', 'Couronne tout céramique sur pilier implantaire'],
    ['D6065', 'tooth', false, 'All-ceramic crown screwed or cemented on the implant', 'Couronne tout céramique vissée ou scellée sur l’implant'],
    ['D6104', 'tooth', false, 'Bone graft at implant placement', 'Greffe osseuse lors de la pose de l’implant'],
  ],
  surgery: [
    ['D7140', 'tooth', false, 'Extraction of an erupted tooth or exposed root', 'Extraction d’une dent sortie ou d’une racine exposée'],
    ['D7210', 'tooth', false, 'Surgical extraction of an erupted tooth', 'Extraction chirurgicale d’une dent sortie'],
    ['D7220', 'tooth', false, 'Removal of an impacted tooth, soft tissue', 'Extraction d’une dent incluse, tissus mous'],
    ['D7230', 'tooth', false, 'Removal of an impacted tooth, partly in bone', 'Extraction d’une dent incluse, partiellement osseuse'],
    ['D7240', 'tooth', false, 'Removal of an impacted tooth, fully in bone', 'Extraction d’une dent incluse, entièrement osseuse'],
    ['D7250', 'tooth', false, 'Removal of residual roots', 'Extraction de racines résiduelles'],
    ['D7310', 'mouth', false, 'Alveoloplasty with extractions, per quadrant', 'Alvéoloplastie avec extractions, par quadrant'],
    ['D7510', 'tooth', false, 'Incision and drainage of an abscess inside the mouth', 'Incision et drainage d’un abcès intrabuccal'],
    ['D7953', 'tooth', false, 'Bone graft to preserve the ridge after extraction', 'Greffe osseuse de préservation de la crête après extraction'],
  ],
  orthodontics: [
    ['D8010', 'mouth', false, 'Limited orthodontic treatment, primary teeth', 'Traitement orthodontique limité, dentition temporaire'],
    ['D8070', 'mouth', false, 'Full orthodontic treatment, mixed dentition', 'Traitement orthodontique complet, dentition mixte'],
    ['D8080', 'mouth', false, 'Full orthodontic treatment, adolescent', 'Traitement orthodontique complet, adolescent'],
    ['D8090', 'mouth', false, 'Full orthodontic treatment, adult', 'Traitement orthodontique complet, adulte'],
    ['D8660', 'mouth', false, 'Orthodontic assessment before treatment', 'Évaluation orthodontique avant traitement'],
    ['D8670', 'mouth', false, 'Orthodontic adjustment visit', 'Visite d’ajustement orthodontique'],
    ['D8680', 'mouth', false, 'Orthodontic retention (appliance removal and retainers)', 'Contention orthodontique (retrait des appareils et appareils de contention)'],
  ],
  other: [
    ['D9110', 'mouth', false, 'Emergency relief of dental pain', 'Soulagement d’urgence de la douleur dentaire'],
    ['D9230', 'mouth', false, 'Nitrous oxide sedation', 'Sédation au protoxyde d’azote'],
    ['D9310', 'mouth', false, 'Consultation by another dentist', 'Consultation par un autre dentiste'],
    ['D9944', 'mouth', false, 'Night guard (hard, full arch)', 'Protecteur nocturne (rigide, arcade complète)'],
    ['D9972', 'mouth', false, 'Whitening in the office, per arch', 'Blanchiment au cabinet, par arcade'],
  ],
};

export const procedureCodes: readonly ProcedureCode[] = Object.entries(groups).flatMap(([category, rows]) =>
  rows.map(([code, area, surfaces, en, fr]) => ({ system: procedureCodeSystem.id, code, category: category as ProcedureCategory, area, surfaces, en, fr })),
);

const byCode = new Map(procedureCodes.map((c) => [c.code, c]));

export function procedureCode(code: string): ProcedureCode | undefined {
  return byCode.get(code.toUpperCase());
}

/** Lower case without accents: "Résine" → "resine". */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Search as you type over code and both descriptions, accent- and case-insensitive: every word
 * of the query must start a word of the code or a description ("mol" finds "molar", not
 * "premolar"; "2391" and "d2391" find D2391). Codes starting with the query come first.
 */
export function searchProcedureCodes(query: string, limit = 20): ProcedureCode[] {
  const words = foldText(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (!words.length) return procedureCodes.slice(0, limit);
  const codeStarts = (c: ProcedureCode, w: string) => c.code.toLowerCase().startsWith(w) || c.code.slice(1).startsWith(w);
  const hits = procedureCodes.filter((c) => {
    const vocabulary = foldText(`${c.en} ${c.fr}`).split(/[^\p{L}\p{N}]+/u);
    return words.every((w) => codeStarts(c, w) || vocabulary.some((v) => v.startsWith(w)));
  });
  return hits.sort((a, b) => Number(!codeStarts(a, words[0]!)) - Number(!codeStarts(b, words[0]!))).slice(0, limit);
}
