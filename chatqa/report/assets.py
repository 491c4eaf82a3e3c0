"""The CSS and JavaScript written into every report page: no external file, no network.

The report opens offline from a file:// URL, so both are inlined in each page; the script is
plain JavaScript (no library) and the pages work without it, less the filters and the focus.
"""

from __future__ import annotations

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;
vertical-align:top}th{background:#f3f3f3;text-align:left}mark{background:#ffe08a}
.advisor{background:#eef5ff}.customer{background:#f7f7f7}.system,.bot{color:#777;
font-style:italic}tr.here{outline:2px solid #e85d04}.warning{background:#fde2e1;
padding:.5em}.note{color:#555}
.lvl-na{color:#777}nav a{margin-right:1em}small.id{display:block;color:#777}
sup.refs{font-size:.75em;font-weight:bold;color:#7a4b00;margin-left:1px}
sup.refs a{color:inherit;text-decoration:none}
ol.notes{list-style:none;margin:.4em 0 .1em;padding:.2em .5em;border-left:3px solid #f0c44c;
background:#fffaf0;font-size:.9em;font-style:normal;color:#222}ol.notes li{margin:.15em 0}
ol.notes .n{color:#7a4b00;font-weight:bold}ol.notes code{background:#f3f3f3;padding:0 .2em}
.where{color:#777}.filters{display:flex;flex-wrap:wrap;gap:.5em 1.5em;align-items:end;
margin:.5em 0}.filters label{display:flex;flex-direction:column;font-size:.9em}
#count{font-weight:bold}#conversations td.cc{font-size:.9em}
button.focus{font:inherit;text-align:left;background:none;border:1px solid #bbb;
border-radius:3px;cursor:pointer;padding:.1em .3em}button.focus[aria-pressed=true]{
background:#ffe8c2;border-color:#e85d04}.focusing mark{background:#eee}
.focusing mark.hit{background:#ffb703;outline:2px solid #e85d04}.focusing li.hit{
background:#ffe8c2}
"""

#: The index's table, listed from its data (:mod:`chatqa.report.index`): filters by advisor,
#: criterion, level and id, the count of conversations that pass them, at most ``listed``
#: rows at a time (a button lists more); choosing a criterion shows its column only. A link
#: back to ``#row-N`` lists and shows that row.
INDEX_JS = """
(function(){
var source=document.getElementById('index-data');if(!source)return;
var data=JSON.parse(source.textContent),table=document.getElementById('conversations'),
body=table.tBodies[0],form=document.getElementById('filters'),
advisor=document.getElementById('f-advisor'),criterion=document.getElementById('f-criterion'),
level=document.getElementById('f-level'),id=document.getElementById('f-id'),
shown=document.getElementById('shown'),listed=document.getElementById('listed'),
more=document.getElementById('more'),limit=data.listed,matching=data.rows;
var levelOf=data.values.map(function(v){return v[0];}),advisorAt={};
data.advisors.forEach(function(a,i){advisorAt[a]=i;});
function href(n){var s=String(n);while(s.length<data.link[1])s='0'+s;
return data.link[0]+s+data.link[2];}
function cell(tr,text,cls){var td=document.createElement('td');td.textContent=text;
if(cls)td.className=cls;tr.appendChild(td);}
function line(r){var tr=document.createElement('tr'),td=document.createElement('td'),
a=document.createElement('a');tr.id='row-'+r[0];a.href=href(r[0]);a.textContent=r[1];
td.appendChild(a);if(r[2]){var s=document.createElement('small');
s.textContent=' (occurrence '+r[2]+')';td.appendChild(s);}tr.appendChild(td);
cell(tr,r[3].map(function(i){return data.advisors[i];}).join(', '));
cell(tr,r[4]);cell(tr,String(r[5]));
r[6].forEach(function(v,j){var c='cc cc'+(j+1);
if(v>=0)cell(tr,data.values[v][1],c+' lvl-'+levelOf[v]);else cell(tr,'',c);});
return tr;}
function render(){var rows=document.createDocumentFragment();
matching.slice(0,limit).forEach(function(r){rows.appendChild(line(r));});
body.textContent='';body.appendChild(rows);shown.textContent=matching.length;
var capped=matching.length>limit;listed.hidden=!capped;more.hidden=!capped;
if(capped)listed.textContent=' (the first '+limit+' are listed)';}
function apply(){
var a=advisor.value,at=advisorAt[a],l=level.value,q=id.value.trim().toLowerCase();
var col=criterion.value?+criterion.options[criterion.selectedIndex].getAttribute('data-col'):0;
if(col)table.setAttribute('data-only',col);else table.removeAttribute('data-only');
matching=data.rows.filter(function(r){
if(a&&r[3].indexOf(at)<0)return false;
if(q&&r[1].toLowerCase().indexOf(q)<0)return false;
if(!l)return true;
if(col)return r[6][col-1]>=0&&levelOf[r[6][col-1]]===l;
return r[6].some(function(v){return v>=0&&levelOf[v]===l;});});
limit=data.listed;render();}
function reveal(){var m=/^#row-(\\d+)$/.exec(location.hash);if(!m)return;var n=+m[1];
var at=function(){for(var i=0;i<matching.length;i++)if(matching[i][0]===n)return i;return -1;};
if(at()<0){form.reset();apply();}var i=at();if(i<0)return;
if(i>=limit){limit=i+1;render();}var tr=document.getElementById('row-'+n);
tr.classList.add('here');tr.scrollIntoView({block:'center'});}
[advisor,criterion,level].forEach(function(e){e.addEventListener('change',apply);});
id.addEventListener('input',apply);
document.getElementById('f-reset').addEventListener('click',function(){form.reset();apply();});
document.getElementById('f-more').addEventListener('click',function(){
limit+=data.listed;render();});
window.addEventListener('hashchange',reveal);
apply();reveal();
})();
"""

#: Focus of a conversation: a criterion's button outlines the highlights and notes of its
#: evidence (``data-notes``: the note numbers) and greys the others; a second click undoes it.
CONVERSATION_JS = """
(function(){
[].forEach.call(document.querySelectorAll('button.focus'),function(b){
b.addEventListener('click',function(){
var section=b.closest('section'),on=b.getAttribute('aria-pressed')!=='true';
[].forEach.call(section.querySelectorAll('.hit'),function(e){e.classList.remove('hit');});
[].forEach.call(section.querySelectorAll('button.focus'),function(o){
o.setAttribute('aria-pressed','false');});
section.classList.toggle('focusing',on);if(!on)return;
b.setAttribute('aria-pressed','true');var mark1=null,note1=null;
(b.getAttribute('data-notes')||'').split(' ').forEach(function(k){if(!k)return;
var id=section.id+'-n'+k,note=document.getElementById(id);
if(note){note.classList.add('hit');note1=note1||note;}
[].forEach.call(section.querySelectorAll('a.ref[href="#'+id+'"]'),function(a){
var mark=a.parentNode.previousElementSibling;
if(mark&&mark.tagName==='MARK'){mark.classList.add('hit');mark1=mark1||mark;}});});
if(mark1||note1)(mark1||note1).scrollIntoView({block:'center'});});});
})();
"""
